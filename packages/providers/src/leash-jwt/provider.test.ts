import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { rotateSigningKeys, SigningKeyFile } from "./keys.js";
import { createLeashJwtProvider } from "./provider.js";

describe("leash-jwt task tokens", () => {
  it("take iat, nbf and exp from the injected clock", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "leash-jwt-")), "keys.json");
    await rotateSigningKeys(path);
    const frozen = Date.UTC(2020, 5, 1, 12, 0, 0);
    const provider = createLeashJwtProvider({
      issuer: "https://leash.test",
      maxTtlSeconds: 3600,
      keys: new SigningKeyFile(path, 0),
      clock: { now: () => frozen },
    });
    const minted = await provider.mint(
      {
        leaseId: "ls_1",
        taskId: "tk_1",
        agent: "spiffe://t/agent/a",
        target: undefined,
        intent: { action: "read", resource: "docs/a" },
        ttlSeconds: 300,
        expiresAt: frozen + 300_000,
        actorChain: [],
        scopeHints: [],
      },
      AbortSignal.timeout(5_000),
    );
    const claims = decodeJwt(String(minted.credential.token));
    expect(claims.iat).toBe(frozen / 1000);
    expect(claims.nbf).toBe(frozen / 1000);
    expect(claims.exp).toBe(frozen / 1000 + 300);
  });
});
