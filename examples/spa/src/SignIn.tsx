import { useMutation } from "@apollo/client";
import type { FormEvent } from "react";
import { graphql } from "./gql";

const LOGIN = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
    }
  }
`);

export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [login, { loading, error }] = useMutation(LOGIN);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const variables = { email: String(form.get("email")), password: String(form.get("password")) };
    // A failure is shown from `error`; there is nothing more to do with it here.
    const result = await login({ variables }).catch(() => null);
    if (result?.data) onSignedIn(result.data.login.token);
  }

  return (
    <form className="sign-in" aria-label="Sign in" onSubmit={submit}>
      <h1>Sign in</h1>
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={loading}>
        Sign in
      </button>
      {error && <p role="alert">{error.message}</p>}
    </form>
  );
}
