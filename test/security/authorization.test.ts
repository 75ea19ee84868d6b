import { join } from "node:path";
import { REPO_ROOT } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { expectProblem, type Seen, see } from "./support/problem.js";
import { rolesWith } from "./support/trust.js";

const MAX_DEPTH = 2;
/** An identity that is both an agent and a security officer: the one who could approve their own request. */
const DUAL = agentId("dual");

let stack: Stack;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    config: { roles: rolesWith({ security: [DUAL] }) },
    // The example policy set: reads of public/internal data are permitted, sensitive writes need a person.
    env: {
      LEASH_POLICY_DIR: join(REPO_ROOT, "infra/policies"),
      LEASH_MAX_DELEGATION_DEPTH: String(MAX_DEPTH),
    },
  });
  for (const [name, sub] of Object.entries({
    orch: ORCHESTRATOR,
    security: SECURITY,
    dual: DUAL,
    nobody: "spiffe://dev.local/nobody",
  }))
    tokens[name] = await stack.token(sub);
}, 60_000);
afterAll(() => stack?.stop());

async function as(name: string): Promise<string> {
  tokens[name] ??= await stack.token(agentId(name));
  return tokens[name];
}

async function call(
  who: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) {
  const token = tokens[who] ?? (await as(who));
  return see(await stack.call(method, path, token, body, headers));
}

const READ = { action: "read", resource: "docs/*", sensitivity: "internal" } as const;
const WRITE = { action: "write", resource: "reports/q3.md", tool: "editor" } as const;

async function task(agent: string, ceiling: unknown[] = [READ, WRITE], ttl = 600): Promise<string> {
  const seen = await call("orch", "POST", "/v1/tasks", { agent: agentId(agent), ceiling, ttl_seconds: ttl });
  expect(seen.status, seen.body).toBe(201);
  return (JSON.parse(seen.body) as { id: string }).id;
}

const readIntent = (resource = "docs/a.md") => ({ action: "read", resource, sensitivity: "internal" });

async function lease(agent: string, taskId: string, headers?: Record<string, string>) {
  const body = { task_id: taskId, provider: "leash-jwt", intent: readIntent() };
  const seen = await call(agent, "POST", "/v1/leases", body, headers);
  expect(seen.status, seen.body).toBe(201);
  return JSON.parse(seen.body) as { lease_id: string; credential: { token: string } };
}

async function active(token: string): Promise<boolean> {
  const res = await stack.call("POST", "/v1/introspect", tokens.security ?? "", `token=${token}`, {
    "content-type": "application/x-www-form-urlencoded",
  });
  return ((await res.json()) as { active: boolean }).active;
}

async function taskState(id: string): Promise<string> {
  return (JSON.parse((await call("orch", "GET", `/v1/tasks/${id}`)).body) as { state: string }).state;
}

describe("an agent using another agent's task or lease", () => {
  it("cannot lease under it, read it, end it, delegate from it, or read, return or replay the other's lease", async () => {
    const taskA = await task("owner-a");
    const leaseA = await lease("owner-a", taskA, { "idempotency-key": "shared-key" });
    const body = { task_id: taskA, provider: "leash-jwt", intent: readIntent() };

    // Another agent's task is answered like an unknown one (404), so task ids cannot be probed.
    expectProblem(await call("intruder-b", "POST", "/v1/leases", body), 404, "not_found");
    // The same Idempotency-Key and body as the owner's request: keys are per agent, so nothing is replayed.
    const replay = await call("intruder-b", "POST", "/v1/leases", body, { "idempotency-key": "shared-key" });
    expectProblem(replay, 404, "not_found");
    expect(replay.body).not.toContain(leaseA.credential.token);

    expectProblem(await call("intruder-b", "GET", `/v1/tasks/${taskA}`), 404, "not_found");
    expectProblem(await call("intruder-b", "POST", `/v1/tasks/${taskA}/complete`), 404, "not_found");
    expectProblem(await call("intruder-b", "POST", `/v1/tasks/${taskA}/cancel`), 404, "not_found");
    const delegate = await call("intruder-b", "POST", "/v1/tasks", {
      agent: agentId("intruder-b"),
      ceiling: [READ],
      ttl_seconds: 60,
      parent_id: taskA,
    });
    expectProblem(delegate, 404, "not_found");

    expectProblem(await call("intruder-b", "GET", `/v1/leases/${leaseA.lease_id}`), 404, "not_found");
    expectProblem(await call("intruder-b", "DELETE", `/v1/leases/${leaseA.lease_id}`), 404, "not_found");

    // Nothing the intruder did had an effect: the task is active, the lease live, and no lease is the intruder's.
    expect(await taskState(taskA)).toBe("active");
    expect(await active(leaseA.credential.token)).toBe(true);
    const mine = await call(
      "security",
      "GET",
      `/v1/leases?agent=${encodeURIComponent(agentId("intruder-b"))}`,
    );
    expect(JSON.parse(mine.body)).toMatchObject({ items: [] });
  });
});

describe("a sensitivity cap", () => {
  it("is not escaped by leaving the sensitivity out (undeclared reads as restricted, as in policies)", async () => {
    const id = await task("undeclared", [READ]);
    const ask = (intent: Record<string, unknown>) =>
      call("undeclared", "POST", "/v1/leases", { task_id: id, provider: "leash-jwt", intent });
    expectProblem(await ask({ action: "read", resource: "docs/a.md" }), 403, "ceiling_exceeded");
    expect((await ask(readIntent())).status).toBe(201);
  });
});

describe("role boundaries", () => {
  const securityCalls: [string, string, unknown?][] = [
    ["GET", "/v1/leases"],
    ["POST", "/v1/revocations", { selector: { all: true }, reason: "takeover" }],
    ["POST", "/v1/revocations", { selector: { all: true }, reason: "takeover", dry_run: true }],
    ["GET", "/v1/revocations/rv-1"],
    ["GET", `/v1/agents/${encodeURIComponent(agentId("owner-a"))}/exposure`],
    ["GET", "/v1/audit"],
    ["GET", "/v1/audit/verify"],
    ["GET", "/v1/audit/export"],
    ["GET", "/v1/approvals"],
    ["POST", "/v1/approvals/ap-1/approve"],
    ["POST", "/v1/approvals/ap-1/deny"],
    ["DELETE", "/v1/break-glass/bg-1"],
    [
      "POST",
      "/v1/break-glass",
      {
        task_id: "t-1",
        justification: "because I say so",
        ttl_seconds: 60,
        ceiling: [{ action: "admin", resource: "*" }],
      },
    ],
  ];

  it("agents, orchestrators and role-less identities get 403 on every security endpoint, and nothing happens", async () => {
    const taskA = await task("bystander");
    const leaseA = await lease("bystander", taskA);
    for (const who of ["rogue-agent", "orch", "nobody"]) {
      for (const [method, path, body] of securityCalls) {
        const seen = await call(who, method, path, body);
        expect(seen.status, `${who} ${method} ${path}`).toBe(403);
        expectProblem(seen, 403, "forbidden");
      }
    }
    // The revoke-everything order above was refused, so the lease still works.
    expect(await active(leaseA.credential.token)).toBe(true);
  });

  it("an agent cannot register a root task, nor end a task an orchestrator gave it", async () => {
    const root = await call("rogue-agent", "POST", "/v1/tasks", {
      agent: agentId("rogue-agent"),
      ceiling: [{ action: "admin", resource: "*" }],
      ttl_seconds: 60,
    });
    expectProblem(root, 403, "forbidden");
    const id = await task("worker");
    expectProblem(await call("worker", "POST", `/v1/tasks/${id}/complete`), 403, "forbidden");
    expectProblem(await call("worker", "POST", `/v1/tasks/${id}/cancel`), 403, "forbidden");
    expect(await taskState(id)).toBe("active");
  });

  it("an identity without the agent role cannot ask for a credential, even for a task bound to it", async () => {
    const seen = await call("orch", "POST", "/v1/tasks", {
      agent: ORCHESTRATOR,
      ceiling: [READ],
      ttl_seconds: 60,
    });
    const id = (JSON.parse(seen.body) as { id: string }).id;
    const body = { task_id: id, provider: "leash-jwt", intent: readIntent() };
    expectProblem(await call("orch", "POST", "/v1/leases", body), 403, "forbidden");
  });
});

describe("step-up approval", () => {
  it("nobody approves their own request; an agent cannot approve at all; a decision is final", async () => {
    const id = await task("dual", [{ action: "write", resource: "reports/*" }]);
    const request = {
      task_id: id,
      provider: "leash-jwt",
      intent: { action: "write", resource: "reports/q3.md", sensitivity: "confidential" },
    };
    const pending = await call("dual", "POST", "/v1/leases", request);
    expect(pending.status, pending.body).toBe(202);
    const { approval_id } = JSON.parse(pending.body) as { approval_id: string };

    expectProblem(await call("dual", "POST", `/v1/approvals/${approval_id}/approve`), 403, "forbidden");
    expectProblem(await call("dual", "POST", `/v1/approvals/${approval_id}/deny`), 403, "forbidden");
    expectProblem(
      await call("rogue-agent", "POST", `/v1/approvals/${approval_id}/approve`),
      403,
      "forbidden",
    );
    expectProblem(await call("orch", "POST", `/v1/approvals/${approval_id}/approve`), 403, "forbidden");
    // Still pending after all that: retrying does not issue.
    expect((await call("dual", "POST", "/v1/leases", request)).status).toBe(202);
    // Someone else's approval cannot be redeemed.
    expectProblem(await call("rogue-agent", "POST", `/v1/approvals/${approval_id}/redeem`), 404, "not_found");

    expect((await call("security", "POST", `/v1/approvals/${approval_id}/approve`)).status).toBe(200);
    expectProblem(await call("security", "POST", `/v1/approvals/${approval_id}/deny`), 409, "conflict");
    const issued = await call("dual", "POST", `/v1/approvals/${approval_id}/redeem`);
    expect(issued.status, issued.body).toBe(201);
  });
});

describe("delegation never widens the parent's ceiling", () => {
  const widenings: [string, unknown][] = [
    ["every resource", { action: "read", resource: "*", sensitivity: "internal" }],
    ["a shorter name as prefix", { action: "read", resource: "doc*", sensitivity: "internal" }],
    ["another action", { action: "write", resource: "docs/*" }],
    ["a higher sensitivity", { action: "read", resource: "docs/*", sensitivity: "restricted" }],
    ["no sensitivity cap", { action: "read", resource: "docs/*" }],
    ["no sensitivity cap on one resource", { action: "read", resource: "docs/a.md" }],
    ["the pinned tool dropped", { action: "write", resource: "reports/q3.md" }],
    ["another tool", { action: "write", resource: "reports/q3.md", tool: "shell" }],
    ["an exact resource turned prefix", { action: "write", resource: "reports/q3.md*", tool: "editor" }],
  ];

  it.each(widenings)("a sub-task asking for %s is refused (403 ceiling_exceeded)", async (_what, entry) => {
    const parent = await task("delegator");
    const seen = await call("delegator", "POST", "/v1/tasks", {
      agent: agentId("delegate"),
      ceiling: [READ, entry],
      ttl_seconds: 60,
      parent_id: parent,
    });
    expectProblem(seen, 403, "ceiling_exceeded");
  });

  it("a narrower sub-task is accepted, cannot outlive its parent or nest too deep, and its agent stays inside it", async () => {
    const parent = await task("delegator", [READ, WRITE], 300);
    const sub = (who: string, parentId: string, extra: Record<string, unknown> = {}) =>
      call(who, "POST", "/v1/tasks", {
        agent: agentId(`${who}-sub`),
        ceiling: [{ action: "read", resource: "docs/public/*", sensitivity: "internal" }],
        ttl_seconds: 60,
        parent_id: parentId,
        ...extra,
      });
    expectProblem(await sub("delegator", parent, { ttl_seconds: 3_600 }), 400, "invalid_request");
    const child = await sub("delegator", parent);
    expect(child.status, child.body).toBe(201);
    const childId = (JSON.parse(child.body) as { id: string }).id;

    const inChild = { task_id: childId, provider: "leash-jwt", intent: readIntent("docs/public/a.md") };
    expect((await call("delegator-sub", "POST", "/v1/leases", inChild)).status).toBe(201);
    // Inside the parent's ceiling but outside the child's: refused.
    const outside = { ...inChild, intent: readIntent("docs/private/a.md") };
    expectProblem(await call("delegator-sub", "POST", "/v1/leases", outside), 403, "ceiling_exceeded");

    let deepest = childId;
    let who = "delegator-sub";
    for (let depth = 2; depth <= MAX_DEPTH; depth++) {
      // Each level may not outlive the one above it.
      const next = await sub(who, deepest, { ttl_seconds: 60 - 10 * depth });
      expect(next.status, next.body).toBe(201);
      deepest = (JSON.parse(next.body) as { id: string }).id;
      who = `${who}-sub`;
    }
    expectProblem(await sub(who, deepest, { ttl_seconds: 5 }), 403, "forbidden");
  });
});

describe("Idempotency-Key", () => {
  it("a replay with the same body returns the same lease; with another body it is 409; keys are per agent", async () => {
    const id = await task("idem");
    const body = { task_id: id, provider: "leash-jwt", intent: readIntent() };
    const key = { "idempotency-key": "retry-1" };
    const first = await call("idem", "POST", "/v1/leases", body, key);
    const again = await call("idem", "POST", "/v1/leases", body, key);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(JSON.parse(again.body).lease_id).toBe(JSON.parse(first.body).lease_id);

    for (const other of [
      { ...body, intent: readIntent("docs/b.md") },
      { ...body, ttl_seconds: 30 },
      { ...body, intent: { ...readIntent(), purpose: "something else" } },
    ]) {
      const seen: Seen = await call("idem", "POST", "/v1/leases", other, key);
      expectProblem(seen, 409, "idempotency_conflict");
    }
    // Another agent's use of the same key is its own request.
    const elsewhere = await task("idem-other");
    const theirs = { task_id: elsewhere, provider: "leash-jwt", intent: readIntent() };
    expect((await call("idem-other", "POST", "/v1/leases", theirs, key)).status).toBe(201);
  });
});
