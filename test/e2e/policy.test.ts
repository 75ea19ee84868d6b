import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devTrustConfig, ENTRYPOINTS, REPO_ROOT, spawnTs, waitFor } from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  agentId,
  msUntilInactive,
  ORCHESTRATOR,
  SECURITY,
  type Stack,
  startStack,
} from "../support/stack.js";

const EXAMPLES = join(REPO_ROOT, "infra/policies");
const root = mkdtempSync(join(tmpdir(), "leash-e2e-policy-"));
/** The running broker's policy directory: a copy of the example set the tests rewrite. */
const policies = join(root, "policies");
cpSync(EXAMPLES, policies, { recursive: true });

let stack: Stack;
let orch: string;
let security: string;
beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl"), env: { LEASH_POLICY_DIR: policies } });
  orch = await stack.token(ORCHESTRATOR);
  security = await stack.token(SECURITY);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function task(agent: string, ceiling: unknown[], caller = orch, parentId?: string, ttlSeconds = 300) {
  const res = await stack.call("POST", "/v1/tasks", caller, {
    agent,
    ceiling,
    ttl_seconds: ttlSeconds,
    ...(parentId ? { parent_id: parentId } : {}),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const lease = (token: string, taskId: string, intent: Record<string, unknown>) =>
  stack.call("POST", "/v1/leases", token, { task_id: taskId, provider: "leash-jwt", intent });

async function auditEvents(type: string) {
  const res = await stack.call("GET", `/v1/audit?type=${type}&limit=1000`, security);
  return ((await res.json()) as { items: { detail?: Record<string, unknown> }[] }).items;
}

describe("policies at start", () => {
  it("a policy set that does not load stops the API before it serves: exit 2, naming file and line", async () => {
    const bad = join(root, "bad");
    cpSync(EXAMPLES, bad, { recursive: true });
    writeFileSync(
      join(bad, "broken.cedar"),
      '@id("broken")\npermit (principal, action == Leash::Action::"read", resource)\nwhen { resource.no_such_attribute == 1 };\n',
    );
    const config = join(root, "leash.json");
    writeFileSync(
      config,
      JSON.stringify(devTrustConfig({ issuerUrl: "http://127.0.0.1:9", jwksUri: "http://127.0.0.1:9/jwks" })),
    );
    const signingKeys = join(root, "signing-keys.json");
    await rotateSigningKeys(signingKeys);
    const api = spawnTs("api", ENTRYPOINTS.api, {
      env: {
        ...process.env,
        PORT: "0",
        REDIS_URL: inject("redisUrl"),
        LEASH_CONFIG: config,
        LEASH_SIGNING_KEY_FILE: signingKeys,
        LEASH_REDIS_PREFIX: `e2e:{${randomUUID()}}:`,
        LEASH_POLICY_DIR: bad,
      },
    });
    const code = await Promise.race([
      api.exited,
      new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 30_000)),
    ]);
    if (code === "running") await api.kill();
    expect(code, api.output()).toBe(2);
    expect(api.output()).toMatch(new RegExp(`${join(bad, "broken.cedar")}:3:\\d+: .*no_such_attribute`));
    // Named by its @id, never by Cedar's positional policy0, policy1, ...
    expect(api.output()).toContain("for policy `broken`");
    expect(api.output()).not.toMatch(/policy\d/);
  });
});

describe("hot reload through the running API", () => {
  it("a valid new set decides the next request; an invalid one is refused and the previous set keeps deciding", async () => {
    const agent = agentId("reload");
    const token = await stack.token(agent);
    const id = await task(agent, [{ action: "read", resource: "hr/*" }]);
    const confidential = { action: "read", resource: "hr/salaries.csv", sensitivity: "confidential" };
    const denied = await lease(token, id, confidential);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ reasons: ["default-deny"] });

    writeFileSync(
      join(policies, "hr.cedar"),
      '@id("hr-reads")\n@max_ttl("60")\npermit (principal, action == Leash::Action::"read", resource)\nwhen { resource.id like "hr/*" };\n',
    );
    const issued = await waitFor(
      async () => {
        const res = await lease(token, id, confidential);
        return res.status === 201
          ? ((await res.json()) as { issued_at: string; expires_at: string })
          : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "the new policy set to be in force" },
    );
    expect(Date.parse(issued.expires_at) - Date.parse(issued.issued_at)).toBe(60_000);
    expect((await auditEvents("policy.reloaded")).length).toBeGreaterThanOrEqual(1);

    // Half of this file would allow everything: the whole set must be refused, not the broken policy alone.
    writeFileSync(
      join(policies, "typo.cedar"),
      '@id("allow-everything")\npermit (principal, action, resource);\n\n@id("typo")\npermit (principal, action, resource)\nwhen { resource.no_such_attribute == 1 };\n',
    );
    const failure = await waitFor(async () => (await auditEvents("policy.reload_failed"))[0], {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: "the invalid set to be refused",
    });
    expect(String(failure.detail?.error)).toContain(`${join(policies, "typo.cedar")}:6:`);
    expect(String(failure.detail?.error)).toContain("for policy `typo`");
    expect(String(failure.detail?.error)).not.toMatch(/policy\d/);
    // The set in force is still the last valid one: the new permit applies, nothing of the broken file does.
    expect((await lease(token, id, confidential)).status).toBe(201);
    const other = await task(agent, [{ action: "write", resource: "docs/*" }]);
    expect(
      (await lease(token, other, { action: "write", resource: "docs/a", sensitivity: "public" })).status,
    ).toBe(403);
  });
});

describe("delegation under policies", () => {
  it("completing the root makes the leases of its child and grandchild tasks inactive within 1 s", async () => {
    const [a, b, c] = ["root", "child", "grandchild"].map((n) => agentId(`cascade-${n}`)) as [
      string,
      string,
      string,
    ];
    const [ta, tb, tc] = (await Promise.all([a, b, c].map((s) => stack.token(s)))) as [
      string,
      string,
      string,
    ];
    const read = { action: "read", resource: "docs/team/x/readme.md", sensitivity: "internal" };
    const rootId = await task(a, [{ action: "read", resource: "docs/*" }]);
    const childId = await task(b, [{ action: "read", resource: "docs/team/*" }], ta, rootId, 120);
    const grandId = await task(c, [{ action: "read", resource: "docs/team/x/*" }], tb, childId, 60);
    const grants: { token: string; lease_id: string; credential: { token: string } }[] = [];
    for (const [token, id] of [
      [ta, rootId],
      [tb, childId],
      [tc, grandId],
    ] as const) {
      const res = await lease(token, id, read);
      expect(res.status, await res.clone().text()).toBe(201);
      grants.push({
        token,
        ...((await res.json()) as { lease_id: string; credential: { token: string } }),
      });
    }

    const started = Date.now();
    const done = await stack.call("POST", `/v1/tasks/${rootId}/complete`, orch);
    expect(done.status).toBe(202);
    await Promise.all(grants.map((g) => msUntilInactive(stack, g.credential.token, g.token)));
    expect(Date.now() - started).toBeLessThan(1_000);

    for (const id of [childId, grandId]) {
      const res = await stack.call("GET", `/v1/tasks/${id}`, orch);
      expect(((await res.json()) as { state: string }).state).not.toBe("active");
    }
    await waitFor(
      async () => {
        const states = await Promise.all(
          grants.map(async (g) => {
            const res = await stack.call("GET", `/v1/leases/${g.lease_id}`, security);
            return ((await res.json()) as { state: string }).state;
          }),
        );
        return states.every((s) => s === "revoked") ? true : undefined;
      },
      { timeoutMs: 10_000, what: "the worker to revoke every lease of the tree" },
    );
  });
});
