import { useApolloClient, useQuery } from "@apollo/client";
import { useState } from "react";
import { getToken, setToken } from "./auth";
import { ContactList } from "./ContactList";
import { ContactView } from "./ContactView";
import { ImportPanel } from "./ImportPanel";
import { graphql } from "./gql";
import { SignIn } from "./SignIn";
import { useContactEvents } from "./useContactEvents";

const ME = graphql(`
  query Me {
    me {
      role
      user { id name email }
      organization { id name }
    }
  }
`);

export function App() {
  const client = useApolloClient();
  const [token, setSession] = useState(getToken);
  const signIn = (next: string) => {
    setToken(next);
    setSession(next);
  };
  // Nothing of one user's may be shown to the next. Subscriptions end with the workspace, and the socket,
  // opened only while something subscribes, closes with them: the next sign-in connects with its own token.
  const signOut = () => {
    setToken(null);
    setSession(null);
    void client.clearStore();
  };
  return token ? <Workspace onSignOut={signOut} /> : <SignIn onSignedIn={signIn} />;
}

function Workspace({ onSignOut }: { onSignOut: () => void }) {
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const { data } = useQuery(ME);
  useContactEvents(selectedId);
  return (
    <div className="app">
      <header>
        <h1>{data?.me.organization.name ?? "Contacts"}</h1>
        <span>{data?.me.user?.email}</span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <ImportPanel />
      <main>
        <ContactList selectedId={selectedId} onSelect={setSelectedId} />
        {selectedId ? <ContactView id={selectedId} /> : <p className="hint">Choose a contact.</p>}
      </main>
    </div>
  );
}
