import {
  type PolicyDecider,
  type PolicyRequest,
  policyDecisionDetail,
  policyRequestRecord,
} from "@leash/core";
import { beforeAll, describe, expect, it } from "vitest";
import { CaseRequest, toPolicyRequest } from "./cases.js";
import { type ActivePolicySet, decideWith } from "./decide.js";
import { activeSet, request } from "./test-support.js";
import { replayRecordedDecision, whatIf } from "./what-if.js";

const READS =
  '@id("reads")\n@max_ttl("3600")\npermit (principal, action == Leash::Action::"read", resource);';
const SHORT_READS =
  '@id("short-reads")\n@max_ttl("300")\npermit (principal, action == Leash::Action::"read", resource);';
const WRITES = '@id("writes")\npermit (principal, action == Leash::Action::"write", resource);';
const WRITES_APPROVED =
  '@id("writes-approved")\n@approval("required")\npermit (principal, action == Leash::Action::"write", resource);';
const NO_PASTEBIN =
  '@id("no-pastebin")\nforbid (principal, action in Leash::Action::"any", resource)\nwhen { context has destination && context.destination == "pastebin" };';

const decider = (active: ActivePolicySet): PolicyDecider => ({ decide: (r) => decideWith(active, r) });

let current: PolicyDecider;
beforeAll(async () => {
  current = decider((await activeSet({ "reads.cedar": READS, "writes.cedar": WRITES })).active);
});

let sequence = 0;
/** An audit event as the broker records a policy decision made by `by`. */
function recorded(req: PolicyRequest, by: PolicyDecider = current) {
  const decision = by.decide(req);
  sequence += 1;
  return {
    id: `1736157600000-${sequence}`,
    ts: "2025-01-06T10:00:00.000Z",
    type: decision.allowed ? "lease.issued" : "lease.denied",
    actor: req.agent.id,
    agent: req.agent.id,
    task_id: req.task.id,
    ...(decision.allowed ? { lease_id: `ls_${sequence}` } : {}),
    outcome: decision.allowed ? "ok" : "denied",
    detail: { provider: req.provider, reasons: decision.reasons, ...policyDecisionDetail(req, decision) },
    hash: "x",
  };
}

describe("the recorded policy request", () => {
  it("round-trips through JSON to the very request the policy set saw", () => {
    const requests: PolicyRequest[] = [
      request({
        agent: {
          id: "spiffe://corp.example/a",
          trustDomain: "corp.example",
          path: "/a",
          labels: { team: "x" },
        },
        task: {
          id: "t",
          labels: { env: "prod" },
          remainingSeconds: 12,
          depth: 2,
          chain: ["p1", "p0"],
          breakGlass: true,
        },
        target: "docs-reader",
        intent: { tool: "s3", destination: "warehouse.internal", purpose: "report" },
        now: new Date("2025-03-01T23:59:59.123Z"),
        exposure: { liveLeases: 19 },
      }),
      request({
        agent: { id: "oidc-subject", trustDomain: null, path: null, labels: {} },
        intent: { sensitivity: undefined },
      }),
    ];
    for (const original of requests) {
      const json = JSON.parse(JSON.stringify(policyRequestRecord(original)));
      const parsed = CaseRequest.parse(json);
      expect(toPolicyRequest(parsed)).toEqual(JSON.parse(JSON.stringify(original), reviveNow));
    }
  });
});

describe("replayRecordedDecision", () => {
  it("reports a tighter TTL cap, a new deny and a new approval step; an unchanged decision is 'same'", async () => {
    const candidate = decider(
      (
        await activeSet({
          "reads.cedar": SHORT_READS,
          "writes.cedar": WRITES_APPROVED,
          "no.cedar": NO_PASTEBIN,
        })
      ).active,
    );
    const read = replayRecordedDecision(candidate, recorded(request()));
    expect(read).toMatchObject({
      kind: "changed",
      change: {
        type: "lease.issued",
        before: { decision: "allow", max_ttl_seconds: 3600, reasons: ["reads"] },
        after: { decision: "allow", max_ttl_seconds: 300, reasons: ["short-reads"] },
      },
    });
    const exfiltrate = replayRecordedDecision(
      candidate,
      recorded(request({ intent: { destination: "pastebin" } })),
    );
    expect(exfiltrate).toMatchObject({
      kind: "changed",
      change: { before: { decision: "allow" }, after: { decision: "deny", reasons: ["no-pastebin"] } },
    });
    const write = replayRecordedDecision(candidate, recorded(request({ intent: { action: "write" } })));
    expect(write).toMatchObject({
      kind: "changed",
      change: { before: { decision: "allow", max_ttl_seconds: null }, after: { decision: "approval" } },
    });
    const deleted = recorded(request({ intent: { action: "delete" } }));
    expect(deleted.type).toBe("lease.denied");
    expect(replayRecordedDecision(candidate, deleted)).toEqual({ kind: "same", event_id: deleted.id });
  });

  it("a set that decides like the recorded one changes nothing, even with other policy ids", async () => {
    const same = decider(
      (await activeSet({ "r.cedar": READS.replace('"reads"', '"renamed"'), "w.cedar": WRITES })).active,
    );
    for (const req of [
      request(),
      request({ intent: { action: "write" } }),
      request({ intent: { action: "admin" } }),
    ])
      expect(replayRecordedDecision(same, recorded(req)).kind).toBe("same");
  });

  it("ignores events that are not decisions and skips decisions recorded without a request", () => {
    expect(replayRecordedDecision(current, { id: "1-0", type: "policy.reloaded", detail: {} })).toEqual({
      kind: "ignored",
    });
    const ceiling = {
      id: "1-1",
      ts: "2025-01-06T10:00:00.000Z",
      type: "lease.denied",
      detail: { reasons: ["outside the task ceiling"] },
    };
    expect(replayRecordedDecision(current, ceiling)).toMatchObject({ kind: "skipped", event_id: "1-1" });
    const broken = recorded(request());
    (broken.detail.policy_request as { now: string }).now = "yesterday";
    expect(replayRecordedDecision(current, broken)).toMatchObject({
      kind: "skipped",
      why: expect.stringContaining("unreadable policy request"),
    });
  });
});

describe("whatIf", () => {
  it("replays a stream of events and lists only the decisions that change, oldest first", async () => {
    const candidate = decider((await activeSet({ "reads.cedar": READS })).active);
    const events = [
      recorded(request()),
      { id: "2-0", ts: "x", type: "task.registered", actor: null, outcome: "ok", hash: "x" },
      recorded(request({ intent: { action: "write", resource: "docs/1" } })),
      recorded(request({ intent: { action: "write", resource: "docs/2" } })),
      { id: "2-1", ts: "x", type: "lease.denied", detail: { reasons: ["outside the task ceiling"] } },
    ];
    async function* stream() {
      yield* events;
    }
    const report = await whatIf(candidate, stream());
    expect(report.replayed).toBe(3);
    expect(report.skipped).toBe(1);
    expect(report.skippedExamples).toEqual([{ event_id: "2-1", why: expect.any(String) }]);
    expect(report.changes.map((c) => [c.intent.resource, c.before.decision, c.after.decision])).toEqual([
      ["docs/1", "allow", "deny"],
      ["docs/2", "allow", "deny"],
    ]);
  });
});

function reviveNow(key: string, value: unknown): unknown {
  return key === "now" && typeof value === "string" ? new Date(value) : value;
}
