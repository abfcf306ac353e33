import { expect, test, type Request } from "@playwright/test";
import { CREATE_CONTACT, contactRows, gql, signIn, subscribed, unique } from "./helpers";

const operation = (request: Request) => new URL(request.url()).searchParams.get("operationName");

test("signs in, searches, filters by stage and tag, loads more, signs out", async ({ page }) => {
  // 25 contacts: 01–05 in Qualified, every fifth tagged.
  const run = unique("Seed");
  const tag = unique("vip").replace(" ", "-");
  const { pipelineStages } = await gql<{ pipelineStages: { id: string; name: string }[] }>(
    "{ pipelineStages { id name } }",
  );
  const qualified = pipelineStages.find((s) => s.name === "Qualified")!;
  for (let i = 1; i <= 25; i++) {
    const input = {
      name: `${run} ${String(i).padStart(2, "0")}`,
      ...(i <= 5 && { statusId: qualified.id }),
      ...(i % 5 === 0 && { tags: [tag] }),
    };
    await gql(CREATE_CONTACT, { input });
  }

  // Queries go as GETs carrying only the query's hash (automatic persisted queries).
  const hashed: Request[] = [];
  page.on("request", (r) => r.method() === "GET" && operation(r) === "Contacts" && hashed.push(r));

  await signIn(page);
  const rows = contactRows(page);
  await expect(rows).toHaveCount(20);

  // Once the server knows the hash, it answers the GET alone.
  const search = page.getByRole("searchbox", { name: "Search contacts" });
  const answered = page.waitForResponse(async (r) => {
    const params = new URL(r.url()).searchParams;
    const searched = r.request().method() === "GET" && JSON.parse(params.get("variables") ?? "{}").search === run;
    return searched && !!(await r.json()).data?.contacts;
  });
  await search.fill(run);
  await answered;
  const url = new URL(hashed.at(-1)!.url());
  expect(url.searchParams.has("query")).toBe(false);
  expect(JSON.parse(url.searchParams.get("extensions")!).persistedQuery.sha256Hash).toMatch(/^[0-9a-f]{64}$/);

  await expect(rows).toHaveCount(20);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(25);
  await expect(page.getByRole("button", { name: "Load more" })).toBeHidden();

  await search.fill(`${run} 1`);
  await expect(rows).toHaveCount(10); // 10 to 19
  await search.fill(run);

  const stage = page.getByRole("combobox", { name: "Stage", exact: true });
  const tags = page.getByRole("combobox", { name: "Tag", exact: true });
  await stage.selectOption({ label: "Qualified" });
  await expect(rows).toHaveCount(5);
  await tags.selectOption({ label: tag });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${run} 05`);
  await stage.selectOption({ label: "All stages" });
  await expect(rows).toHaveCount(5);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("form", { name: "Sign in" })).toBeVisible();
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
});

test("a contact created elsewhere appears in the open list without a reload", async ({ page }) => {
  const live = subscribed(page, "contactEvents");
  await signIn(page);
  await live;
  await page.evaluate(() => ((window as { loadedOnce?: boolean }).loadedOnce = true));

  const name = unique("Live");
  await gql(CREATE_CONTACT, { input: { name } });

  await expect(contactRows(page).filter({ hasText: name })).toBeVisible();
  expect(await page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
});
