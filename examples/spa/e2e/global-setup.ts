import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { API_URL, OWNER } from "./env";

// The server binary as `cargo build` leaves it; API_BIN points elsewhere (a release build, say).
const bin = process.env.API_BIN ?? fileURLToPath(new URL("../../../target/debug/api", import.meta.url));

// Starts the real server on a fresh SQLite database with a known owner; the returned function stops it.
export default async function globalSetup() {
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: run \`cargo build\` first, or set API_BIN`);
  const dir = mkdtempSync(path.join(tmpdir(), "contacts-e2e-"));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/db.sqlite?mode=rwc`,
    FILES_DIR: `${dir}/files`,
    BIND_ADDR: new URL(API_URL).host,
    APP_ENV: "development",
    JWT_SECRET: "e2e-only-jwt-secret-of-at-least-32-bytes",
    RUST_LOG: "warn",
  };
  const printed = execFileSync(
    bin,
    ["bootstrap", "--organization", "E2E Realty", "--email", OWNER.email, "--password", OWNER.password, "--plan", "scale"],
    { env, encoding: "utf8" },
  );
  // Workers inherit the runner's environment: the tests seed data with the owner's token.
  process.env.E2E_OWNER_TOKEN = /^token (\S+)$/m.exec(printed)?.[1];

  const server = spawn(bin, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
  const exited = once(server, "exit");
  await waitForHealth(exited);

  return async () => {
    server.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
}

async function waitForHealth(exited: Promise<unknown>) {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 150 && !gone; i++) {
    const ok = await fetch(`${API_URL}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(gone ? "the API server exited at start-up (is the port taken?)" : "the API server did not become healthy");
}
