import { describe, expect, it } from "vitest";
import { DenyList } from "./deny-list.js";
import {
  CUT_POLICY,
  cutDocument,
  entryDocument,
  entryName,
  parseCutDocument,
  parseEntryName,
  RESERVE_POLICY,
  reserveDocument,
} from "./deny-policy.js";
import type { IamCalls } from "./iam-calls.js";

/** An in-memory role with IAM's inline-policy quota: 10,240 characters, whitespace not counted. */
class FakeRole implements IamCalls {
  policies = new Map<string, string>();
  calls: string[] = [];
  constructor(readonly quota = 10_240) {}
  private size(except?: string): number {
    let n = 0;
    for (const [name, doc] of this.policies) if (name !== except) n += doc.replace(/\s/g, "").length;
    return n;
  }
  async put(_role: string, name: string, doc: string) {
    this.calls.push(`put ${name}`);
    if (this.size(name) + doc.replace(/\s/g, "").length > this.quota) return "limit" as const;
    this.policies.set(name, doc);
    return "ok" as const;
  }
  async delete(_role: string, name: string) {
    this.calls.push(`delete ${name}`);
    this.policies.delete(name);
  }
  async list() {
    this.calls.push("list");
    return [...this.policies.keys()].sort();
  }
  async get(_role: string, name: string) {
    this.calls.push(`get ${name}`);
    return this.policies.get(name);
  }
  async roleId() {
    return "AROAEXAMPLE0000000000";
  }
  entries() {
    return [...this.policies.keys()].filter((n) => parseEntryName(n));
  }
}

const signal = new AbortController().signal;
const T0 = 1_714_564_800; // seconds
const entry = (i: number, issuedSec = T0, expiresSec = T0 + 900) => ({
  issuedSec,
  expiresSec,
  sessionName: `ls_${String(i).padStart(25, "0")}`,
});

function setup(nowSec = T0 + 60, quota = 10_240) {
  const iam = new FakeRole(quota);
  let now = nowSec * 1000;
  const list = new DenyList(iam, { now: () => now, skewMs: 5_000 });
  return { iam, list, setNow: (sec: number) => (now = sec * 1000) };
}

describe("DenyList: revocation as inline deny policies within the role's quota", () => {
  it("writes one policy per session, named so that pruning needs no other state, and is idempotent", async () => {
    const { iam, list } = setup();
    expect(await list.deny("r", "AROAX", entry(1), signal)).toBeUndefined();
    expect(await list.deny("r", "AROAX", entry(1), signal)).toBeUndefined();
    expect(iam.entries()).toEqual([entryName(entry(1))]);
    // The room for a later cut, held by the cut policy itself at an instant that matches nothing.
    expect(parseCutDocument(iam.policies.get(CUT_POLICY) ?? "")).toBe(0);
  });

  it("prunes entries whose credentials have expired (past the clock allowance) to make room", async () => {
    // Room for the reserve and exactly three entries.
    const quota = reserveDocument().length + 3 * entryDocument("AROAX", entry(1).sessionName).length;
    const { iam, list, setNow } = setup(T0 + 60, quota);
    await list.deny("r", "AROAX", entry(1), signal);
    await list.deny("r", "AROAX", entry(2, T0, T0 + 3600), signal);
    await list.deny("r", "AROAX", entry(3, T0, T0 + 3600), signal);
    setNow(T0 + 900 + 6); // entry 1 expired 6 s ago, beyond the 5 s allowance
    expect(await list.deny("r", "AROAX", entry(4, T0 + 100, T0 + 3600), signal)).toBeUndefined();
    expect(iam.entries().map((n) => parseEntryName(n)?.sessionName)).toEqual([
      entry(2).sessionName,
      entry(3).sessionName,
      entry(4).sessionName,
    ]);
  });

  it("falls back to a cut when nothing can be pruned, using the reserved room, and drops the covered entries", async () => {
    const { iam, list, setNow } = setup(T0 + 60);
    let i = 0;
    while ((await list.deny("r", "AROAX", entry(i, T0, T0 + 3600), signal)) === undefined) i++;
    // Everything before entry i fitted; entry i forced a cut at "now".
    const before = i;
    expect(before).toBeGreaterThan(40);
    await list.idle(); // the deletions that follow the cut
    expect(parseCutDocument(iam.policies.get(CUT_POLICY) ?? "")).toBe(T0 + 60);
    expect(iam.policies.has(RESERVE_POLICY)).toBe(false);
    // Every entry was issued before the cut, so the cut covers them all and they are gone.
    expect(iam.entries()).toEqual([]);
    // Later sessions are not covered by the cut, and their entries fit again.
    setNow(T0 + 120);
    expect(await list.deny("r", "AROAX", entry(1000, T0 + 100, T0 + 3600), signal)).toBeUndefined();
    expect(iam.entries()).toHaveLength(1);
  });

  it("still denies the session itself when it was issued in the cut's own second", async () => {
    const { iam, list } = setup(T0 + 60);
    let i = 0;
    while ((await list.deny("r", "AROAX", entry(i, T0, T0 + 3600), signal)) === undefined) i++;
    const cutSec = await list.deny("r", "AROAX", entry(9999, T0 + 60, T0 + 3600), signal);
    // The cut is already at T0 + 60; this session was issued in that second, so it needs its own entry.
    expect(cutSec).toBeUndefined();
    expect(iam.entries()).toContain(entryName(entry(9999, T0 + 60, T0 + 3600)));
  });

  it("never moves a cut back: a later cut already in place stays", async () => {
    const { iam, list } = setup();
    expect(await list.cut("r", T0 + 500, signal)).toBe(T0 + 500);
    expect(await list.cut("r", T0 + 100, signal)).toBe(T0 + 500);
    expect(parseCutDocument(iam.policies.get(CUT_POLICY) ?? "")).toBe(T0 + 500);
    expect(await list.cut("r", T0 + 700, signal)).toBe(T0 + 700);
  });

  it("replaces the reserve with the first cut even on a role filled by other policies", async () => {
    const { iam, list } = setup();
    await list.deny("r", "AROAX", entry(1), signal);
    const free = 10_240 - [...iam.policies.values()].reduce((n, d) => n + d.length, 0);
    iam.policies.set("someone-elses", `{"x":"${"a".repeat(free - 8)}"}`);
    expect(await list.cut("r", T0 + 30, signal)).toBe(T0 + 30);
    await list.idle();
    expect(iam.policies.has(CUT_POLICY)).toBe(true);
    expect(iam.entries()).toEqual([]);
  });

  it("with the budget full and nothing to prune, the session is dead by the fourth IAM call", async () => {
    // A slow IAM (seconds per call) must not turn a full budget into a revocation that never finishes in time.
    const iam = new FakeRole();
    iam.policies.set(CUT_POLICY, cutDocument(T0 + 60));
    for (let i = 0; ; i++) {
      const e = entry(i, T0 + 100, T0 + 3600); // issued after the cut, not expired: nothing to prune
      if ((await iam.put("r", entryName(e), entryDocument("AROAX", e.sessionName))) === "limit") break;
    }
    const list = new DenyList(iam, { now: () => (T0 + 180) * 1000, skewMs: 5_000 });
    iam.calls = [];
    const cutSec = await list.deny("r", "AROAX", entry(9000, T0 + 110, T0 + 3600), signal);
    expect(cutSec).toBe(T0 + 180);
    // After the once-per-process reserve check: put (limit), list, get the cut, put the new cut.
    const calls = iam.calls.slice(1);
    expect(calls.indexOf(`put ${CUT_POLICY}`)).toBe(3);
    // The entries the cut covers go afterwards, without holding the revocation up.
    expect(iam.entries().length).toBeGreaterThan(0);
    await list.idle();
    expect(iam.entries()).toEqual([]);
  });

  it("concurrent cuts never move the cut back, whatever order their puts land in", async () => {
    const { iam, list } = setup();
    const slow = iam.put.bind(iam);
    // The earlier instant's put lands last.
    iam.put = async (role: string, name: string, doc: string) => {
      if (name === CUT_POLICY && parseCutDocument(doc) === T0 + 100)
        await new Promise((r) => setTimeout(r, 20));
      return slow(role, name, doc);
    };
    const [a, b] = await Promise.all([list.cut("r", T0 + 100, signal), list.cut("r", T0 + 101, signal)]);
    expect(parseCutDocument(iam.policies.get(CUT_POLICY) ?? "")).toBe(T0 + 101);
    expect(Math.max(a, b)).toBe(T0 + 101);
  });

  /** A role whose budget is full of entries for sessions issued in `issuedSec`, behind a cut at T0 + 60. */
  async function fullRole(issuedSec: number) {
    const iam = new FakeRole();
    iam.policies.set(CUT_POLICY, cutDocument(T0 + 60));
    for (let i = 0; ; i++) {
      const e = entry(i, issuedSec, T0 + 3600);
      if ((await iam.put("r", entryName(e), entryDocument("AROAX", e.sessionName))) === "limit") break;
    }
    return iam;
  }

  it("concurrent revocations on a full role make room once, not once each", async () => {
    const iam = await fullRole(T0 + 100);
    let now = (T0 + 180) * 1000;
    const list = new DenyList(iam, { now: () => now, skewMs: 5_000 });
    // The first revocation cuts at T0 + 180 (and learns that the role has its reserved room).
    expect(await list.deny("r", "AROAX", entry(9000, T0 + 110, T0 + 3600), signal)).toBe(T0 + 180);
    for (let i = 0; ; i++) {
      const e = entry(100 + i, T0 + 185, T0 + 3600); // after that cut: nothing to prune
      if ((await iam.put("r", entryName(e), entryDocument("AROAX", e.sessionName))) === "limit") break;
    }
    now = (T0 + 190) * 1000;
    iam.calls = [];
    const cuts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        list.deny("r", "AROAX", entry(9100 + i, T0 + 186, T0 + 3600), signal),
      ),
    );
    expect(cuts).toEqual(Array.from({ length: 10 }, () => T0 + 190));
    await list.idle();
    expect(iam.calls.filter((c) => c === "list")).toHaveLength(2); // the shared prune, and the cut's own
    expect(iam.calls.filter((c) => c === `put ${CUT_POLICY}`)).toHaveLength(1);
  });

  it("a session issued in the cut's own second on a role still full is cut right after that second", async () => {
    const iam = await fullRole(T0 + 180); // nothing the cut at T0 + 180 covers, so nothing to prune
    let now = (T0 + 180) * 1000 + 300;
    const list = new DenyList(iam, {
      now: () => now,
      skewMs: 5_000,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const cutSec = await list.deny("r", "AROAX", entry(9000, T0 + 180, T0 + 3600), signal);
    expect(cutSec).toBe(T0 + 181);
    expect(parseCutDocument(iam.policies.get(CUT_POLICY) ?? "")).toBe(T0 + 181);
    expect(now).toBe((T0 + 181) * 1000);
  });

  it("a full role is cut in the room its reserve holds: nothing is freed first that a concurrent entry could take", async () => {
    const { iam, list } = setup(T0 + 60);
    let i = 0;
    while ((await list.deny("r", "AROAX", entry(i, T0, T0 + 3600), signal)) === undefined) i++;
    const beforeKill = iam.calls.slice(0, iam.calls.lastIndexOf(`put ${CUT_POLICY}`));
    expect(beforeKill.filter((c) => c.startsWith("delete"))).toEqual([]);
  });

  it("a role reserved by an earlier version trades LeashCutReserve for the first cut, then prunes it", async () => {
    const iam = new FakeRole();
    iam.policies.set(RESERVE_POLICY, reserveDocument());
    for (let i = 0; ; i++) {
      const e = entry(i, T0, T0 + 3600);
      if ((await iam.put("r", entryName(e), entryDocument("AROAX", e.sessionName))) === "limit") break;
    }
    const list = new DenyList(iam, { now: () => (T0 + 60) * 1000, skewMs: 5_000 });
    expect(await list.deny("r", "AROAX", entry(9000, T0, T0 + 3600), signal)).toBe(T0 + 60);
    await list.idle();
    expect(iam.policies.has(RESERVE_POLICY)).toBe(false);
    expect(parseCutDocument(iam.policies.get(CUT_POLICY) ?? "")).toBe(T0 + 60);
  });
});
