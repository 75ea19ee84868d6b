import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const logger = createLogger("test", "info", { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

describe("createLogger redaction", () => {
  it.each([
    ["credential", { credential: { token: "SECRET-1" } }],
    ["nested token", { lease: { token: "SECRET-2" } }],
    ["AWS keys", { credential: { secret_access_key: "SECRET-3", session_token: "SECRET-4" } }],
    ["password", { db: { password: "SECRET-5" } }],
    ["authorization header", { req: { headers: { authorization: "Bearer SECRET-6" } } }],
    ["vault client token", { auth: { client_token: "SECRET-7" } }],
  ])("hides %s", (_name, fields) => {
    const { logger, lines } = capture();
    logger.info(fields, "event");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/SECRET-\d/);
    expect(lines[0]).toContain("[redacted]");
  });

  it("keeps the fields that are not credentials", () => {
    const { logger, lines } = capture();
    logger.info({ lease_id: "l-1", provider: "vault" }, "event");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ lease_id: "l-1", provider: "vault", msg: "event" });
  });
});
