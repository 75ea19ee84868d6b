import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PolicyDecider, PolicyRequest } from "@leash/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPolicyCases } from "./cases.js";

/** A decider that records what it was asked and allows reads only, with approval for anything "secret". */
function fakeDecider() {
  const seen: PolicyRequest[] = [];
  const decider: PolicyDecider = {
    decide(request) {
      seen.push(request);
      const allowed = request.intent.action === "read";
      return {
        allowed,
        reasons: allowed ? ["reads"] : ["default-deny"],
        maxTtlSeconds: allowed ? 600 : undefined,
        approvalRequired: allowed && request.intent.resource.includes("secret"),
        scopeHints: [],
        errors: [],
      };
    },
  };
  return { decider, seen };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "leash-cases-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function casesFile(name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("runPolicyCases: the `leash policy test` file format", () => {
  it("reports each case as passed or failed, saying why", async () => {
    const { decider } = fakeDecider();
    const file = await casesFile("mixed.json", [
      {
        name: "read ok",
        request: { intent: { action: "read", resource: "r" } },
        expect: "allow",
        reasons: ["reads"],
      },
      { name: "approval", request: { intent: { action: "read", resource: "secret" } }, expect: "approval" },
      {
        name: "wrong",
        request: { intent: { action: "write", resource: "r" } },
        expect: "allow",
        reasons: ["writes"],
      },
      {
        name: "ttl",
        request: { intent: { action: "read", resource: "r" } },
        expect: "allow",
        max_ttl_seconds: 60,
      },
    ]);
    const report = await runPolicyCases(decider, file);
    expect(report).toMatchObject({ file, passed: 2, failed: 2 });
    expect(report.results.map((r) => [r.name, r.passed, r.actual])).toEqual([
      ["read ok", true, "allow"],
      ["approval", true, "approval"],
      ["wrong", false, "deny"],
      ["ttl", false, "allow"],
    ]);
    expect(report.results[2]?.problems).toEqual(["expected allow, got deny", 'reason "writes" missing']);
    expect(report.results[3]?.problems).toEqual(["expected max TTL 60, got 600"]);
  });

  it("fills requests from built-in defaults, then the file's defaults, then the case", async () => {
    const { decider, seen } = fakeDecider();
    const file = await casesFile("defaults.json", {
      defaults: { agent: { id: "agent-x", labels: { team: "a" } }, environment: "staging" },
      cases: [
        {
          name: "c",
          request: {
            intent: { action: "read", resource: "r" },
            agent: { labels: { team: "b" } },
            now: "2025-03-01T05:00:00Z",
          },
          expect: "allow",
        },
      ],
    });
    await runPolicyCases(decider, file);
    expect(seen[0]).toMatchObject({
      agent: { id: "agent-x", trustDomain: null, labels: { team: "b" } },
      environment: "staging",
      provider: "leash-jwt",
      ttlSeconds: 300,
      task: { depth: 0, breakGlass: false, chain: [] },
      exposure: { liveLeases: 0 },
      now: new Date("2025-03-01T05:00:00Z"),
    });
  });

  it("rejects a misspelt field instead of ignoring it, naming the file and the case", async () => {
    const { decider } = fakeDecider();
    const file = await casesFile("typo.json", {
      cases: [
        { name: "fine", request: { intent: { action: "read", resource: "r" } }, expect: "allow" },
        {
          name: "typo",
          request: { intent: { action: "read", resource: "r" }, exposure: { live_lease: 3 } },
          expect: "deny",
        },
      ],
    });
    await expect(runPolicyCases(decider, file)).rejects.toThrow(/typo\.json: case 1 "typo": .*live_lease/s);
  });

  it("rejects malformed JSON and unknown expectations, naming the file", async () => {
    const { decider } = fakeDecider();
    await expect(runPolicyCases(decider, await casesFile("bad.json", "{ not json"))).rejects.toThrow(
      /bad\.json: /,
    );
    const unknown = await casesFile("unknown.json", [{ name: "x", request: {}, expect: "maybe" }]);
    await expect(runPolicyCases(decider, unknown)).rejects.toThrow(/unknown\.json: /);
  });
});
