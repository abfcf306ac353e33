import { expect, test, type Locator, type Page } from "@playwright/test";
import { API_URL } from "./env";
import { CREATE_CONTACT, gql, subscribed, unique } from "./helpers";

// The server's own GraphiQL page (`/`), not the SPA: it must work with nothing but the server, under its
// Content-Security-Policy. Every test fails on a request to another origin, a CSP violation or a page error.

const ORIGIN = new URL(API_URL).origin;

interface Guard {
  /** Requests to other origins, aborted. */
  elsewhere: string[];
  /** CSP violations, from `securitypolicyviolation` events and from the console. */
  violations: string[];
  /** Uncaught exceptions on the page. */
  errors: string[];
}

let guard: Guard;

test.beforeEach(async ({ page }) => {
  guard = { elsewhere: [], violations: [], errors: [] };
  const current = guard;
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === ORIGIN) return route.continue();
    current.elsewhere.push(url);
    return route.abort("blockedbyclient");
  });
  page.on("websocket", (socket) => {
    if (new URL(socket.url()).host !== new URL(ORIGIN).host) current.elsewhere.push(socket.url());
  });
  await page.exposeFunction("reportCspViolation", (text: string) => current.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation;
      void report(`event: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) current.violations.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => current.errors.push(String(error)));
});

test.afterEach(() => {
  expect(guard.elsewhere, "requests to other origins").toEqual([]);
  expect(guard.violations, "CSP violations").toEqual([]);
  expect(guard.errors, "page errors").toEqual([]);
});

/** Opens GraphiQL and waits until its editors are up. */
async function open(page: Page) {
  const response = await page.goto(`${API_URL}/`);
  expect(response?.status()).toBe(200);
  await expect(page.locator(".graphiql-query-editor .CodeMirror")).toBeVisible();
  return response!;
}

/** GraphiQL's CodeMirror 5 editor, which its DOM element holds (`evaluate` callbacks run in the page: cast inline). */
type Editor = { CodeMirror: { getValue(): string; documentAST?: { loc?: { source: { body: string } } } | null } };

/**
 * Replaces an editor's text the way a user would: focus it, select all, type (inserted whole, so brackets
 * are not auto-closed).
 */
async function fill(page: Page, editor: Locator, text: string) {
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(text);
  await expect.poll(() => editor.evaluate((e) => (e as unknown as Editor).CodeMirror.getValue())).toBe(text);
}

/**
 * Types a query. GraphiQL parses it 100 ms after the last edit and picks the transport (HTTP, or the
 * socket for a subscription) from that parse: running earlier would send it as the previous text's kind.
 */
async function fillQuery(page: Page, text: string) {
  const editor = page.locator(".graphiql-query-editor .CodeMirror");
  await fill(page, editor, text);
  await expect.poll(() => editor.evaluate((e) => (e as unknown as Editor).CodeMirror.documentAST?.loc?.source.body)).toBe(text);
}

/** Sends the owner's token in the headers pane. */
async function authorize(page: Page) {
  await page.getByRole("button", { name: "Headers", exact: true }).click();
  const headers = page.getByRole("region", { name: "Headers" }).locator(".graphiql-editor:not(.hidden) .CodeMirror");
  await expect(headers).toBeVisible();
  await fill(page, headers, JSON.stringify({ Authorization: `Bearer ${process.env.E2E_OWNER_TOKEN}` }));
}

const result = (page: Page) => page.getByRole("region", { name: "Result Window" });

test("GraphiQL loads from the server alone, within its Content-Security-Policy", async ({ page }) => {
  const response = await open(page);
  const policy = response.headers()["content-security-policy"];
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("connect-src 'self'");
  // The schema is fetched (introspection, a same-origin POST): the docs explorer shows it.
  await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
  await expect(page.locator(".graphiql-doc-explorer")).toContainText("subscription: Subscription");

  expect(guard.elsewhere).toEqual([]);
  expect(guard.violations).toEqual([]);
  expect(guard.errors).toEqual([]);

  // The guard is live: an inline script, which the policy forbids, is refused and reported both ways.
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.inlineRan = true";
    document.body.append(script);
  });
  const kinds = () => [...new Set(guard.violations.map((v) => v.split(":")[0]))].sort();
  await expect.poll(kinds).toEqual(["console", "event"]);
  expect(await page.evaluate(() => (window as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
  guard.violations = [];
});

test("a query runs with the token from the headers pane", async ({ page }) => {
  await open(page);
  await authorize(page);
  await fillQuery(page, "{ me { role } }");
  await page.getByRole("button", { name: "Execute query (Ctrl-Enter)" }).click();
  await expect(result(page)).toContainText('"OWNER"');
});

// Opening a dialog applies inline styles: a policy refusing them shows up as a violation, which the guard
// fails on.
test("a toolbar dialog opens (inline styles are allowed)", async ({ page }) => {
  await open(page);
  await page.getByRole("button", { name: "Open short keys dialog" }).click();
  const dialog = page.getByRole("dialog", { name: "Short Keys" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toBeInViewport();
  await expect(dialog).toContainText("Execute query");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
});

test("a subscription shows a contact created elsewhere", async ({ page }) => {
  await open(page);
  await authorize(page);
  await fillQuery(page, "subscription { contactEvents { kind } }");
  const live = subscribed(page, "contactEvents");
  await page.getByRole("button", { name: "Execute query (Ctrl-Enter)" }).click();
  await live;

  await gql(CREATE_CONTACT, { input: { name: unique("GraphiQL") } });
  await expect(result(page)).toContainText('"CREATED"');
  await page.getByRole("button", { name: "Stop query (Ctrl-Enter)" }).click();
});
