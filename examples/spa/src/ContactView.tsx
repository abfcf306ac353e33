import { useQuery } from "@apollo/client";
import { graphql } from "./gql";

export const CONTACT = graphql(`
  query Contact($id: ID!) {
    contact(id: $id) {
      id
      name
      phone
      email
      source
      createdAt
      stage { id name color }
      tags { id name }
      conversations {
        id
        lastMessageAt
        channel { id name kind }
        messages(first: 50) {
          edges { node { id direction kind body status createdAt } }
        }
      }
    }
  }
`);

export function ContactView({ id }: { id: string }) {
  const { data, loading, error } = useQuery(CONTACT, { variables: { id } });
  if (error) return <p role="alert">{error.message}</p>;
  if (loading && !data) return <p>Loading…</p>;
  const contact = data?.contact;
  if (!contact) return <p>This contact is gone or out of sight.</p>;

  return (
    <article className="contact" aria-labelledby="contact-name">
      <h2 id="contact-name">{contact.name}</h2>
      <dl>
        <dt>Phone</dt>
        <dd>{contact.phone ?? "—"}</dd>
        <dt>Email</dt>
        <dd>{contact.email ?? "—"}</dd>
        <dt>Stage</dt>
        <dd>{contact.stage.name}</dd>
        <dt>Source</dt>
        <dd>{contact.source}</dd>
        <dt>Tags</dt>
        <dd>{contact.tags.map((t) => t.name).join(", ") || "—"}</dd>
      </dl>
      <h3>Conversations</h3>
      {contact.conversations.length === 0 && <p>No messages yet.</p>}
      {contact.conversations.map((conversation) => (
        <section key={conversation.id} aria-label={`Conversation on ${conversation.channel.name}`}>
          <h4>
            {conversation.channel.name} ({conversation.channel.kind})
          </h4>
          <ol aria-label="Messages" className="messages">
            {/* The API lists messages newest first; a conversation reads oldest first. */}
            {[...conversation.messages.edges].reverse().map(({ node }) => (
              <li key={node.id} className={node.direction.toLowerCase()}>
                <p>{node.body ?? `[${node.kind}]`}</p>
                <time dateTime={node.createdAt}>
                  {new Date(node.createdAt).toLocaleString()} · {node.status}
                </time>
              </li>
            ))}
          </ol>
        </section>
      ))}
    </article>
  );
}
