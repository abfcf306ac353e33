import { defineConfig } from "@playwright/test";
import { API_URL, WEB_URL } from "./e2e/env";

export default defineConfig({
  testDir: "e2e",
  // One server and one database for every test: they run one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : "list",
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL: WEB_URL,
    trace: "retain-on-failure",
    browserName: "chromium",
    headless: true,
    // The system's Chromium: tests never download a browser.
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // The built app (`npm run build` first), its `/graphql` proxied to the server the global setup starts.
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${new URL(WEB_URL).port} --strictPort`,
    url: WEB_URL,
    env: { API_URL },
    reuseExistingServer: false,
  },
});
