import { ApolloClient, InMemoryCache, split, type Operation } from "@apollo/client";
import { setContext } from "@apollo/client/link/context";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition, relayStylePagination } from "@apollo/client/utilities";
import createUploadLink from "apollo-upload-client/createUploadLink.mjs";
import { createClient } from "graphql-ws";
import { authorization } from "./auth";

// Web Crypto: available on https and on localhost, so no hashing library is needed.
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const kind = ({ query }: Operation) => {
  const definition = getMainDefinition(query);
  return definition.kind === "OperationDefinition" ? definition.operation : undefined;
};

export function createApolloClient() {
  // Read per request, so the link never holds a stale token.
  const auth = setContext((_, { headers }) => {
    const value = authorization();
    return { headers: value ? { ...headers, Authorization: value } : headers };
  });
  // The server refuses multipart requests without this header, which a cross-site form cannot send.
  const upload = createUploadLink({ uri: "/graphql", headers: { "Apollo-Require-Preflight": "true" } });
  const http = auth.concat(upload);
  // Queries send only their hash, as a cacheable GET; the server asks once for the full text (by POST).
  // Mutations go whole over POST: a hash miss would otherwise upload an import file twice.
  const persisted = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http);

  const ws = new GraphQLWsLink(
    createClient({
      url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`,
      // The server reads the token from `connection_init`, not from headers a browser socket cannot set.
      connectionParams: () => {
        const value = authorization();
        return value ? { Authorization: value } : {};
      },
    }),
  );

  return new ApolloClient({
    link: split((op) => kind(op) === "subscription", ws, split((op) => kind(op) === "query", persisted, http)),
    cache: new InMemoryCache({
      typePolicies: {
        // One cached list per search and filter; `fetchMore` appends the next page to it.
        Query: { fields: { contacts: relayStylePagination(["search", "filter"]) } },
      },
    }),
  });
}
