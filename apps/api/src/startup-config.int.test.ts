import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENTRYPOINTS, spawnTs } from "@leash/devstack";
import { describe, expect, inject, it } from "vitest";

/** A trust file whose gateway section is invalid stops start-up with exit 2, naming the key, before Redis is used. */
describe("start-up with an invalid gateway section", () => {
  it.each([
    ["api", ENTRYPOINTS.api],
    ["worker", ENTRYPOINTS.worker],
  ])("the %s exits 2 naming the offending key", async (name, entry) => {
    const dir = mkdtempSync(join(tmpdir(), "leash-startup-"));
    const config = join(dir, "leash.json");
    writeFileSync(
      config,
      JSON.stringify({
        audience: "leash",
        issuers: [{ issuer: "https://issuer.test", jwks_file: "jwks.json" }],
        roles: { agent: ["spiffe://t/agent/"] },
        gateway: {
          upstreams: { Bad: { url: "https://api.example", auth: { type: "vault-token", target: "x" } } },
        },
      }),
    );
    const child = spawnTs(name, entry, {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: inject("redisUrl"),
        LEASH_CONFIG: config,
        LEASH_SIGNING_KEY_FILE: join(dir, "keys.json"),
      },
    });
    expect(await child.exited).toBe(2);
    expect(child.output()).toContain("gateway.upstreams.Bad: upstream names match [a-z0-9][a-z0-9-]{0,62}");
  });
});
