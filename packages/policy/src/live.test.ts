import type { PolicyRequest, Sensitivity } from "@leash/core";
import { describe, expect, it } from "vitest";
import { decideWith } from "./decide.js";
import { decideMany, liveDecider } from "./live.js";
import { loadPolicyDir } from "./load.js";
import { compileSnapshot, snapshotOf } from "./snapshot.js";
import { activeSet, EXAMPLES_DIR, exampleSchema, request } from "./test-support.js";

const SENSITIVITIES: readonly Sensitivity[] = ["public", "internal", "confidential", "restricted"];

/**
 * Live leases as re-evaluation sees them: few agents and intents over many tasks, so most requests share their
 * decision with others of other agents and tasks (which is what grouping must not get wrong).
 */
function pool(size: number): PolicyRequest[] {
  return Array.from({ length: size }, (_, i) => {
    const step = (n: number, m: number) => Math.floor(i / n) % m;
    return request({
      agent: {
        id: `spiffe://corp.example/agent/${i % 7}`,
        trustDomain: "corp.example",
        path: `/agent/${i % 7}`,
        labels: {},
      },
      intent: {
        action: ["read", "write", "list", "delete"][step(7, 4)] ?? "read",
        resource: `docs/${i % 5}.md`,
        sensitivity: SENSITIVITIES[step(28, 4)],
        ...(step(3, 3) === 0
          ? { destination: step(2, 2) === 0 ? "warehouse.internal" : "paste.example" }
          : {}),
      },
      task: {
        id: `task-${i}`,
        labels: {},
        remainingSeconds: 60 + i,
        depth: step(5, 3),
        chain: [],
        breakGlass: false,
      },
      exposure: { liveLeases: 19 + step(11, 2) },
      now: new Date(Date.UTC(2025, 0, 6 + step(13, 2) * 5, 6 + step(17, 2) * 4)),
    });
  });
}

const BY_UID = `@id("one-agent-denied")
forbid (principal == Leash::Agent::"spiffe://corp.example/agent/3", action, resource);`;
const BY_TASK = `@id("deep-tasks-denied")
forbid (principal, action, resource) when { context.task.depth >= 2 };`;

describe("decideMany", () => {
  it("answers exactly as deciding each request alone would", async () => {
    const examples = await loadPolicyDir(EXAMPLES_DIR);
    const files = Object.fromEntries([...examples.policies.values()].map((p) => [`${p.id}.cedar`, p.text]));
    const extras: Record<string, string>[] = [{}, { "uid.cedar": BY_UID }, { "task.cedar": BY_TASK }];
    for (const extra of extras) {
      const { active } = await activeSet({ ...files, ...extra });
      const requests = pool(1200);
      const { decisions, distinct } = decideMany(active, requests);
      expect(decisions).toEqual(requests.map((r) => decideWith(active, r)));
      // Leases of other agents and tasks share decisions unless a policy names an agent: reading the task's depth
      // keeps only the depth of each task in the request, not its id or time left.
      if (Object.keys(extra).length === 0) expect(distinct).toBeLessThan(requests.length / 3);
      // Every request has a task of its own: only the pruning inside context.task lets them share.
      if ("task.cedar" in extra) expect(distinct).toBeLessThan(requests.length / 2);
    }
  });

  it("decides each distinct request once, keeping uids only where a policy names them", async () => {
    const base = `@id("read") permit (principal, action == Leash::Action::"read", resource);`;
    const same = Array.from({ length: 1000 }, (_, i) =>
      request({
        agent: { id: `spiffe://corp.example/agent/${i % 50}`, trustDomain: null, path: null, labels: {} },
        intent: { resource: `docs/${i}.md` },
        task: { id: `task-${i}`, labels: {}, remainingSeconds: i, depth: 0, chain: [], breakGlass: false },
      }),
    );
    expect(decideMany((await activeSet({ "a.cedar": base })).active, same).distinct).toBe(1);
    const byUid = await activeSet({
      "a.cedar": base,
      "b.cedar": `@id("agent-7") forbid (principal, action, resource) when { [Leash::Agent::"spiffe://corp.example/agent/7"].contains(principal) };`,
    });
    const many = decideMany(byUid.active, same);
    expect(many.distinct).toBe(50);
    expect(many.decisions.filter((d) => !d.allowed)).toHaveLength(20);
  });

  it("keeps a request Cedar cannot take on its own, denied with its error", async () => {
    const { active } = await activeSet({ "a.cedar": `@id("read") permit (principal, action, resource);` });
    const bad = request({ ttlSeconds: Number.NaN });
    const { decisions, distinct } = decideMany(active, [request(), bad, request()]);
    expect(distinct).toBe(2);
    expect(decisions[0]?.allowed).toBe(true);
    expect(decisions[1]).toMatchObject({ allowed: false, reasons: ["request-rejected"] });
  });
});

describe("liveDecider", () => {
  it("revokes what is denied or now needs approval, naming the policies, and keeps the rest", async () => {
    const schema = await exampleSchema();
    const compiled = compileSnapshot({
      schema,
      files: {
        "a.cedar": `@id("read") permit (principal, action == Leash::Action::"read", resource);
@id("write-approval") @approval("required") permit (principal, action == Leash::Action::"write", resource);
@id("plain-write") permit (principal, action == Leash::Action::"write", resource);
@id("no-deletes") forbid (principal, action == Leash::Action::"delete", resource);`,
      },
    });
    const decider = liveDecider("live-test", compiled);
    const session = decider.session();
    const intents = ["read", "write", "delete", "list"].map((action) => request({ intent: { action } }));
    expect(session.decide(intents)).toEqual([
      { revoke: false, policies: [] },
      { revoke: true, policies: ["write-approval"] },
      { revoke: true, policies: ["no-deletes"] },
      { revoke: true, policies: ["default-deny"] },
    ]);
    expect(decider.policySet).toBe(snapshotOf(compiled).id);
    // The session remembers: the same requests again are not decided again.
    session.decide(intents);
    expect(session.decided).toBe(4);
  });
});

describe("policy set snapshots", () => {
  it("give a loaded directory and its snapshot the same id, and another text another one", async () => {
    const loaded = await loadPolicyDir(EXAMPLES_DIR);
    const snapshot = snapshotOf(loaded);
    expect(Object.keys(snapshot.files)).toContain("read-baseline.cedar");
    expect(snapshotOf(compileSnapshot(snapshot)).id).toBe(snapshot.id);
    const edited = { ...snapshot.files, "read-baseline.cedar": `${snapshot.files["read-baseline.cedar"]}\n` };
    expect(snapshotOf(compileSnapshot({ schema: snapshot.schema, files: edited })).id).not.toBe(snapshot.id);
  });

  it("name the candidate file and line of a problem", async () => {
    const schema = await exampleSchema();
    expect(() =>
      compileSnapshot({
        schema,
        files: { "next.cedar": `@id("x")\npermit (principal, action, resource)\nwhen { context.nope };` },
      }),
    ).toThrow(/next\.cedar:3:\d+: .*nope/);
  });
});
