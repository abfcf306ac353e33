import { useQuery } from "@apollo/client";
import { useEffect, useState } from "react";
import { graphql } from "./gql";
import type { ContactFilter } from "./gql/graphql";

const PAGE_SIZE = 20;

// Shared with the live events, so an updated contact refreshes its row through the cache.
graphql(`
  fragment ContactRow on Contact {
    id
    name
    phone
    email
    stage { id name color }
    tags { id name }
  }
`);

export const CONTACTS = graphql(`
  query Contacts($first: Int!, $after: String, $search: String, $filter: ContactFilter) {
    contacts(first: $first, after: $after, search: $search, filter: $filter) {
      edges { cursor node { ...ContactRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FILTERS = graphql(`
  query ContactFilters {
    pipelineStages { id name }
    tags { id name }
  }
`);

// Waits for typing to pause before searching, rather than querying on every key.
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

type Props = { selectedId: string | null; onSelect: (id: string) => void };

export function ContactList({ selectedId, onSelect }: Props) {
  const [search, setSearch] = useState("");
  const [stageId, setStageId] = useState("");
  const [tagId, setTagId] = useState("");
  const filter: ContactFilter = { statusIds: stageId ? [stageId] : undefined, tagIds: tagId ? [tagId] : undefined };
  const variables = { first: PAGE_SIZE, search: useDebounced(search.trim(), 250) || undefined, filter };
  const { data, error, fetchMore } = useQuery(CONTACTS, { variables });
  const options = useQuery(FILTERS).data;
  const page = data?.contacts;

  return (
    <section className="contacts" aria-label="Contact list">
      <div className="filters">
        <input
          type="search"
          aria-label="Search contacts"
          placeholder="Name, email or phone"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select aria-label="Stage" value={stageId} onChange={(e) => setStageId(e.target.value)}>
          <option value="">All stages</option>
          {options?.pipelineStages.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <select aria-label="Tag" value={tagId} onChange={(e) => setTagId(e.target.value)}>
          <option value="">All tags</option>
          {options?.tags.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
      {error && <p role="alert">{error.message}</p>}
      <ul aria-label="Contacts">
        {page?.edges.map(({ node }) => (
          <li key={node.id}>
            <button type="button" aria-current={node.id === selectedId} onClick={() => onSelect(node.id)}>
              <strong>{node.name}</strong>
              <span>{node.phone ?? node.email}</span>
              <span className="stage" style={{ borderColor: node.stage.color }}>
                {node.stage.name}
              </span>
              {node.tags.map((t) => (
                <span key={t.id} className="tag">
                  {t.name}
                </span>
              ))}
            </button>
          </li>
        ))}
      </ul>
      {page?.pageInfo.hasNextPage && (
        <button type="button" onClick={() => fetchMore({ variables: { after: page.pageInfo.endCursor } })}>
          Load more
        </button>
      )}
    </section>
  );
}
