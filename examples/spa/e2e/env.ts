// Where the e2e servers listen and who signs in: shared by the config, the global setup and the tests.
export const API_URL = "http://127.0.0.1:18091";
export const WEB_URL = "http://127.0.0.1:18092";
export const OWNER = { email: "owner@example.com", password: "e2e-owner-password" };
