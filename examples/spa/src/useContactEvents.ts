import { useSubscription } from "@apollo/client";
import type { DocumentNode } from "graphql";
import { CONTACTS, FILTERS } from "./ContactList";
import { CONTACT } from "./ContactView";
import { graphql } from "./gql";

const CONTACT_EVENTS = graphql(`
  subscription ContactEvents {
    contactEvents {
      kind
      contactIds
      contacts { ...ContactRow }
    }
  }
`);

// Keeps the screen current while others (teammates, WhatsApp, imports) change contacts. An update
// carries the contacts' fields, which the cache applies to their rows by id.
export function useContactEvents(openId: string | null): void {
  useSubscription(CONTACT_EVENTS, {
    onData: ({ client, data }) => {
      const event = data.data?.contactEvents;
      if (!event) return;
      const include: DocumentNode[] = [];
      // A creation or deletion changes which rows the list holds, and may bring new tags.
      if (event.kind !== "UPDATED") include.push(CONTACTS, FILTERS);
      // The open contact is read again for its new messages, or its removal.
      if (openId && event.contactIds.includes(openId)) include.push(CONTACT);
      if (include.length) void client.refetchQueries({ include });
    },
  });
}
