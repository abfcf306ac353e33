import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API the dev and preview servers forward to: `cargo run` by default, the e2e server in tests.
const target = process.env.API_URL ?? "http://127.0.0.1:8080";
// `/graphql` also covers `/graphql/ws`; `ws: true` lets the subscription upgrade through.
const proxy = { "/graphql": { target, ws: true } };

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
