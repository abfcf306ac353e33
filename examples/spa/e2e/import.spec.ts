import { writeFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { phone, signIn, unique } from "./helpers";

test("a CSV upload imports its rows and follows the job to DONE", async ({ page }) => {
  // Headers the server maps by itself (`phone`, `name`), so no mapping is sent.
  const run = unique("Imported");
  const file = test.info().outputPath("leads.csv");
  writeFileSync(file, ["phone,name", ...[1, 2, 3].map((i) => `${phone()},${run} ${i}`)].join("\n") + "\n");

  await signIn(page);
  await page.getByLabel("CSV or xlsx file").setInputFiles(file);
  await page.getByRole("button", { name: "Import", exact: true }).click();

  const progress = page.getByRole("status", { name: "Import progress" });
  // The background worker picks jobs up every couple of seconds.
  await expect(progress.getByTestId("import-state")).toHaveText("DONE", { timeout: 30_000 });
  await expect(progress).toContainText("3 / 3 rows: 3 created");
  await expect(progress.getByRole("progressbar")).toHaveAttribute("value", "3");
});
