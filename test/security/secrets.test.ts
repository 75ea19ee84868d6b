import { readFileSync } from "node:fs";
import { type DevAws, type DevVault, waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderStack, startProviderStack } from "../support/provider-stack.js";
import { agentId, ORCHESTRATOR, SECURITY, type Stack } from "../support/stack.js";
import { startForgeIssuer } from "./support/forge.js";
import { see } from "./support/problem.js";
import { dumpRedis } from "./support/redis-dump.js";
import { SecretBook } from "./support/secret-book.js";

/**
 * Property 6, secrets never at rest or in logs, over one run that issues every kind of credential, replays,
 * revokes, and fails on purpose (bad tokens, provider outages at issuance and at revocation). Then every place a
 * secret could end up is scanned: the processes' output, every Redis key under the prefix, the audit export,
 * and every response that is not the one delivering the credential.
 */
let aws: DevAws;
let vault: DevVault;
let stack: Stack;
let providers: ProviderStack;
const secrets = new SecretBook();
/** Status line, headers and body of every response that must not carry a credential. */
const responses: string[] = [];
/** The responses that deliver credentials: the scan must find them there, or it finds nothing anywhere. */
const deliveries: string[] = [];
let orch: string;
let security: string;

beforeAll(async () => {
  providers = await startProviderStack({
    env: {
      // The most verbose level: whatever it prints is still a log.
      LOG_LEVEL: "debug",
      // The grace must exceed the mint timeout (start-up refuses it otherwise).
      LEASH_MINT_TIMEOUT_MS: "1500",
      LEASH_PENDING_GRACE_MS: "2000",
      LEASH_RECONCILE_INTERVAL_MS: "300",
    },
  });
  ({ aws, vault, stack } = providers);
  secrets.add("aws root secret key", aws.env.AWS_SECRET_ACCESS_KEY);
  secrets.add("vault root token", vault.env.LEASH_VAULT_TOKEN);
  const signing = JSON.parse(readFileSync(stack.signingKeyFile, "utf8")) as { keys: { d: string }[] };
  for (const key of signing.keys) secrets.add("leash signing key", key.d);
  orch = await identity(ORCHESTRATOR);
  security = await identity(SECURITY);
}, 90_000);
afterAll(async () => {
  await providers?.stop();
});

async function identity(sub: string): Promise<string> {
  const token = await stack.token(sub);
  secrets.add("identity token", token);
  return token;
}

/** A call whose response must be free of credentials. */
async function call(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers?: Record<string, string>,
) {
  const seen = await see(await stack.call(method, path, token, body, headers));
  responses.push(`${seen.status} ${JSON.stringify([...seen.headers])} ${seen.body}`);
  return seen;
}

type Credential = Record<string, unknown> & { data?: Record<string, unknown> };

/** Issues a lease and records the credential it delivers (that response is the one place it may appear). */
async function issue(agent: string, body: Record<string, unknown>, key?: string) {
  const res = await stack.call("POST", "/v1/leases", agent, body, key ? { "idempotency-key": key } : {});
  const text = await res.text();
  expect([200, 201], text).toContain(res.status);
  deliveries.push(text);
  const lease = JSON.parse(text) as { lease_id: string; credential: Credential };
  const c = lease.credential;
  if (body.provider === "leash-jwt") secrets.add("task token", c.token);
  if (body.provider === "aws-sts") {
    secrets.add("aws secret access key", c.secret_access_key);
    secrets.add("aws session token", c.session_token);
  }
  if (body.provider === "vault" && c.token !== undefined) secrets.add("vault token", c.token);
  if (body.provider === "vault" && c.data !== undefined) secrets.add("database password", c.data.password);
  return lease;
}

async function task(agent: string) {
  const seen = await call("POST", "/v1/tasks", orch, {
    agent: agentId(agent),
    ceiling: [
      { action: "read", resource: "docs/*" },
      { action: "read", resource: "secret/*" },
      { action: "read", resource: "db/*" },
      { action: "delete", resource: "docs/*" },
    ],
    ttl_seconds: 600,
  });
  expect(seen.status, seen.body).toBe(201);
  return (JSON.parse(seen.body) as { id: string }).id;
}

const admin = (url: string, method: string, body?: unknown) =>
  fetch(`${url}/__admin/faults`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then((r) => r.text());

const requests = (taskId: string) => ({
  jwt: {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource: "docs/a.md", tool: "docs-api" },
  },
  aws: {
    task_id: taskId,
    provider: "aws-sts",
    target: "docs-reader",
    intent: { action: "read", resource: "docs/readme.md" },
  },
  kv: {
    task_id: taskId,
    provider: "vault",
    target: "kv-reader",
    intent: { action: "read", resource: "secret/app" },
  },
  db: {
    task_id: taskId,
    provider: "vault",
    target: "db-readonly",
    intent: { action: "read", resource: "db/orders" },
  },
});

async function settled(agent: string) {
  return waitFor(
    async () => {
      const seen = await call("GET", `/v1/leases?agent=${encodeURIComponent(agentId(agent))}`, security);
      const { items } = JSON.parse(seen.body) as { items: { state: string; confirmed?: boolean }[] };
      // An expired lease the worker has not confirmed yet is not settled.
      const live = items.filter(
        (l) => !["revoked", "aborted", "expired"].includes(l.state) || l.confirmed === false,
      );
      return items.length > 0 && live.length === 0 ? items : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: `every lease of ${agent} to settle` },
  );
}

describe("property 6: no credential value at rest, in logs, in audit events or in error bodies", () => {
  it("runs a scenario across all three providers, with failures on purpose", async () => {
    const agent = await identity(agentId("holder"));
    const taskId = await task("holder");
    const r = requests(taskId);

    // Every kind of credential, each replayed once with its Idempotency-Key (the replay path holds secrets too).
    for (const [name, body] of Object.entries(r)) {
      const first = await issue(agent, body, `key-${name}`);
      const again = await issue(agent, body, `key-${name}`);
      expect(again.lease_id).toBe(first.lease_id);
      await call("GET", `/v1/leases/${first.lease_id}`, agent);
    }
    const jwt = await issue(agent, { ...r.jwt, intent: { ...r.jwt.intent, resource: "docs/b.md" } });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    await call("POST", "/v1/introspect", agent, `token=${jwt.credential.token}`, form);
    await call("POST", "/v1/introspect", agent, { token: jwt.credential.token });
    await call("GET", `/v1/agents/${encodeURIComponent(agentId("holder"))}/exposure`, security);

    // Refusals: an Idempotency-Key reused with another body, unknown targets, unmapped actions, bad identities.
    await call("POST", "/v1/leases", agent, { ...r.kv, ttl_seconds: 30 }, { "idempotency-key": "key-kv" });
    await call("POST", "/v1/leases", agent, { ...r.kv, target: "nope" });
    await call("POST", "/v1/leases", agent, {
      ...r.aws,
      intent: { action: "delete", resource: "docs/readme.md" },
    });
    const [head, payload] = agent.split(".");
    const tampered = `${head}.${payload}.${"A".repeat(86)}`;
    secrets.add("tampered identity token", tampered);
    await call("POST", "/v1/leases", tampered, r.jwt);
    const stranger = await startForgeIssuer({ sub: agentId("holder") });
    const untrusted = await stranger.sign();
    await stranger.stop();
    secrets.add("untrusted identity token", untrusted);
    await call("POST", "/v1/leases", untrusted, r.jwt);
    await call("POST", "/v1/introspect", agent, `token=${tampered}`, form);

    // Provider outages at issuance: nothing is issued, and the failure is reported without the provider's secrets.
    await admin(aws.emulator.url, "POST", { fail_next: 20, code: "ServiceUnavailable", service: "sts" });
    const stsDown = await call("POST", "/v1/leases", agent, r.aws);
    await admin(aws.emulator.url, "DELETE");
    expect(stsDown.status, stsDown.body).toBe(503);
    await admin(vault.emulator.url, "POST", { fail_next: 20, status: 503 });
    const vaultDown = await call("POST", "/v1/leases", agent, r.kv);
    await admin(vault.emulator.url, "DELETE");
    expect(vaultDown.status, vaultDown.body).toBe(503);

    // The lease the outage left pending is settled by the reconciler first, so the next fault hits a revocation.
    await waitFor(
      async () => {
        const seen = await call("GET", `/v1/leases?agent=${encodeURIComponent(agentId("holder"))}`, security);
        const { items } = JSON.parse(seen.body) as { items: { state: string }[] };
        return items.some((l) => l.state === "pending") ? undefined : true;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: "the pending lease to be settled" },
    );
    // A provider outage at revocation: the worker fails, logs, retries, and ends every lease revoked.
    await admin(vault.emulator.url, "POST", { fail_next: 2, status: 500 });
    const done = await call("POST", `/v1/tasks/${taskId}/complete`, orch);
    expect(done.status).toBe(202);
    const leases = await settled("holder");
    expect(leases.filter((l) => l.state === "revoked").length).toBeGreaterThanOrEqual(5);

    // A second agent's leases end by a mass revocation order.
    const other = await identity(agentId("fleet"));
    const otherTask = await task("fleet");
    for (const body of Object.values(requests(otherTask))) await issue(other, body);
    const order = await call("POST", "/v1/revocations", security, {
      selector: { agent: agentId("fleet") },
      reason: "incident drill",
    });
    expect(order.status).toBe(202);
    await settled("fleet");
    await call("GET", `/v1/revocations/${(JSON.parse(order.body) as { id: string }).id}`, security);
  });

  it("finds none of them in the processes' output, Redis, the audit export, metrics or any other response", async () => {
    expect(secrets.kinds).toMatchObject({
      "task token": 4,
      "aws secret access key": 3,
      "aws session token": 3,
      "vault token": 3,
      "database password": 3,
    });
    const output = stack.output();
    const redis = await dumpRedis(stack.redisUrl, stack.prefix);
    const exported = await (await stack.call("GET", "/v1/audit/export", security)).text();
    const metrics = await (await fetch(`${stack.api}/metrics`)).text();
    // The scan recognises each kind where it must be, and each source holds what it should, so an empty scan
    // cannot pass for a clean one.
    expect(secrets.foundIn(deliveries.join("\n"))).toEqual([
      "aws secret access key",
      "aws session token",
      "database password",
      "task token",
      "vault token",
    ]);
    expect(output).toContain("request failed");
    expect(output).toContain("revocation failed; retrying");
    expect(redis.keys).toBeGreaterThan(20);
    for (const type of ["hash", "zset", "stream"]) expect(redis.types).toContain(type);
    for (const type of ["lease.issued", "lease.mint_failed", "identity.rejected", "revocation.ordered"])
      expect(exported).toContain(`"type":"${type}"`);
    expect(responses.length).toBeGreaterThan(20);

    const leaks = {
      output: secrets.foundIn(output),
      redis: secrets.foundIn(redis.text),
      audit: secrets.foundIn(exported),
      metrics: secrets.foundIn(metrics),
      responses: secrets.foundIn(responses.join("\n")),
    };
    expect(leaks).toEqual({ output: [], redis: [], audit: [], metrics: [], responses: [] });
  });
});
