// The session is just the bearer token from `login`, kept across reloads.
const KEY = "contacts.token";

export const getToken = (): string | null => localStorage.getItem(KEY);

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(KEY, token);
  else localStorage.removeItem(KEY);
}

export function authorization(): string | undefined {
  const token = getToken();
  return token ? `Bearer ${token}` : undefined;
}
