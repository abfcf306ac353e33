import { createHmac, randomInt } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import { API_URL, OWNER } from "./env";

/** A name no other test or run uses, so assertions see only this test's data. */
export const unique = (prefix: string) => `${prefix} ${Date.now().toString(36)}${randomInt(1296).toString(36)}`;

/** A Costa Rican mobile number, the organization's default country. */
export const phone = () => `+50688${String(randomInt(1_000_000)).padStart(6, "0")}`;

/** Runs a GraphQL operation as the owner, straight against the API, the way another client would. */
export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${API_URL}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${process.env.E2E_OWNER_TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

export const CREATE_CONTACT = "mutation($input: CreateContactInput!) { createContact(input: $input) { id } }";

/** POSTs a WhatsApp delivery signed as Meta signs it: HMAC-SHA256 of the raw body with the app secret. */
export async function whatsappWebhook(payload: unknown, appSecret: string): Promise<number> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
  const response = await fetch(`${API_URL}/webhooks/whatsapp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature },
    body,
  });
  return response.status;
}

/**
 * Resolves once the page has sent the subscription for `field` over its socket. The server confirms
 * nothing when a subscription starts, and an event published before it does is not delivered: tests
 * wait for this before changing data elsewhere. Call it before the page subscribes. Rejects when nothing
 * is sent within `timeout` ms.
 */
export function subscribed(page: Page, field: string, timeout = 15_000): Promise<void> {
  const sent = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the page sent no subscription for ${field}`)), timeout);
    page.on("websocket", (socket) =>
      socket.on("framesent", ({ payload }) => {
        const text = String(payload);
        if (!text.includes('"subscribe"') || !text.includes(field)) return;
        clearTimeout(timer);
        // A short grace for the subscribe message to cross the dev proxy and reach the server.
        setTimeout(resolve, 300);
      }),
    );
  });
  // A test that fails before waiting for it must not also report an unhandled rejection.
  sent.catch(() => {});
  return sent;
}

export async function signIn(page: Page) {
  await page.goto("/");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

export const contactRows = (page: Page) => page.getByRole("list", { name: "Contacts" }).getByRole("listitem");
