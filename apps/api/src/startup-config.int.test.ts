import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENTRYPOINTS, spawnTs } from "@leash/devstack";
import { describe, expect, inject, it } from "vitest";

/** Trust-file sections that stop start-up, each with what the error must name. */
const INVALID = [
  {
    section: "gateway",
    extra: {
      gateway: {
        upstreams: { Bad: { url: "https://api.example", auth: { type: "vault-token", target: "x" } } },
      },
    },
    names: "gateway.upstreams.Bad: upstream names match [a-z0-9][a-z0-9-]{0,62}",
  },
  {
    section: "quotas",
    extra: {
      quotas: [
        { id: "ok", match: {}, max_live: 5 },
        { id: "bad", match: { agent_prefix: "spiffe://t/" }, max_live: 0 },
      ],
    },
    names: "quotas.1.max_live",
  },
];

/** A trust file with an invalid section stops start-up with exit 2, naming the offending key, before Redis is used. */
describe.each(INVALID)("start-up with an invalid $section section", ({ extra, names }) => {
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
        ...extra,
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
    expect(child.output()).toContain(names);
  });
});
