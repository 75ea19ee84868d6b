import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLeashConfig } from "./config-file.js";

const trust = {
  audience: "leash",
  issuers: [{ issuer: "https://issuer.test", jwks_file: "jwks.json" }],
  roles: { agent: ["spiffe://t/agent/"] },
};

function configFile(quotas: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "leash-quotas-")), "leash.json");
  writeFileSync(path, JSON.stringify({ ...trust, quotas }));
  return path;
}

describe("the trust file's quotas", () => {
  it("are read into quotas, spelt as core spells them", async () => {
    const config = await readLeashConfig(
      configFile([
        { id: "agents-live", match: { agent_prefix: "spiffe://t/agent/" }, per: "agent", max_live: 20 },
        { id: "sts-rate", match: { provider: "aws-sts", target: "docs-reader" }, max_per_minute: 60 },
        { id: "all", match: {}, max_live: 1000, max_per_minute: 600 },
      ]),
    );
    expect(config.quotas).toEqual([
      { id: "agents-live", match: { agentPrefix: "spiffe://t/agent/" }, perAgent: true, maxLive: 20 },
      {
        id: "sts-rate",
        match: { provider: "aws-sts", target: "docs-reader" },
        perAgent: false,
        maxPerMinute: 60,
      },
      { id: "all", match: {}, perAgent: false, maxLive: 1000, maxPerMinute: 600 },
    ]);
  });

  it("are none when the file has none", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "leash-quotas-")), "leash.json");
    writeFileSync(path, JSON.stringify(trust));
    expect((await readLeashConfig(path)).quotas).toEqual([]);
  });

  it.each([
    [[{ id: "q", match: {} }], "quotas.0: sets no limit"],
    [[{ id: "q", match: {}, max_live: 0 }], "quotas.0.max_live"],
    [[{ id: "q", match: {}, max_live: 1.5 }], "quotas.0.max_live"],
    [[{ id: "q", match: {}, max_per_minute: -1 }], "quotas.0.max_per_minute"],
    [[{ id: "q", match: {}, max_issued: 3 }], "quotas.0: Unrecognized key"],
    [[{ id: "q", max_live: 1 }], "quotas.0.match"],
    [[{ id: "q", match: { provider: "s3" }, max_live: 1 }], "quotas.0.match.provider"],
    [[{ id: "q", match: { agent: "a", agent_prefix: "a" }, max_live: 1 }], "agent and agent_prefix exclude"],
    [[{ id: "q", match: { role: "x" }, max_live: 1 }], "quotas.0.match: Unrecognized key"],
    [[{ id: "q", match: {}, per: "task", max_live: 1 }], "quotas.0.per"],
    [[{ id: "task:x", match: {}, max_live: 1 }], "quotas.0.id"],
    [
      [
        { id: "q", match: {}, max_live: 1 },
        { id: "q", match: {}, max_live: 2 },
      ],
      "quotas.1.id: q is used twice",
    ],
    [{ id: "q" }, "quotas: "],
  ])("refuses %j, naming the entry and the key", async (quotas, message) => {
    await expect(readLeashConfig(configFile(quotas))).rejects.toThrow(message);
  });
});
