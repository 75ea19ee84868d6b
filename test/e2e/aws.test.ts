import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DEV_BUCKET, type DevAws, startDevAws, waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";

let aws: DevAws;
let stack: Stack;
beforeAll(async () => {
  aws = await startDevAws();
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    config: { providers: { "aws-sts": aws.providerConfig } },
    env: aws.env,
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await aws?.emulator.stop();
});

type Credential = {
  access_key_id: string;
  secret_access_key: string;
  session_token: string;
  expiration: string;
};

function s3(c: Credential) {
  return new S3Client({
    region: "us-east-1",
    endpoint: aws.emulator.url,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {
      accessKeyId: c.access_key_id,
      secretAccessKey: c.secret_access_key,
      sessionToken: c.session_token,
    },
  });
}

/** What an agent holding the keys sees: "ok" or the S3 error code. */
async function get(c: Credential, key = "docs/readme.md"): Promise<string> {
  try {
    const out = await s3(c).send(new GetObjectCommand({ Bucket: DEV_BUCKET, Key: key }));
    await out.Body?.transformToString();
    return "ok";
  } catch (error) {
    return (error as { name: string }).name;
  }
}

async function setup(name: string) {
  const orch = await stack.token(ORCHESTRATOR);
  const agent = await stack.token(agentId(name));
  const res = await stack.call("POST", "/v1/tasks", orch, {
    agent: agentId(name),
    ceiling: [
      { action: "read", resource: "docs/*" },
      { action: "delete", resource: "docs/*" },
    ],
    ttl_seconds: 600,
  });
  const { id } = (await res.json()) as { id: string };
  const lease = async (extra: Record<string, unknown> = {}) => {
    const r = await stack.call("POST", "/v1/leases", agent, {
      task_id: id,
      provider: "aws-sts",
      target: "docs-reader",
      intent: { action: "read", resource: "docs/readme.md" },
      ...extra,
    });
    return {
      status: r.status,
      body: (await r.json()) as {
        lease_id: string;
        expires_at: string;
        credential: Credential;
        type?: string;
      },
    };
  };
  return { orch, agent, taskId: id, lease };
}

async function msUntilDenied(c: Credential): Promise<number> {
  const started = Date.now();
  await waitFor(async () => ((await get(c)) === "AccessDenied" ? true : undefined), {
    timeoutMs: 5_000,
    intervalMs: 20,
    what: "S3 to deny the revoked keys",
  });
  return Date.now() - started;
}

describe("aws-sts provider through the public API (observed at the S3 data plane)", () => {
  it("a read lease reads the document; the session policy refuses a write the role itself would allow", async () => {
    const { lease } = await setup("aws-scope");
    const { status, body } = await lease();
    expect(status).toBe(201);
    expect(await get(body.credential)).toBe("ok");
    expect(await get(body.credential, "reports/q3.md")).toBe("AccessDenied");
    const put = await s3(body.credential)
      .send(new PutObjectCommand({ Bucket: DEV_BUCKET, Key: "docs/x.md", Body: "x" }))
      .then(
        () => "ok",
        (e: { name: string }) => e.name,
      );
    expect(put).toBe("AccessDenied");
  });

  it("task completion, returning the lease and mass revocation each cut the keys within 1 s", async () => {
    const a = await setup("aws-complete");
    const l1 = (await a.lease()).body;
    await stack.call("POST", `/v1/tasks/${a.taskId}/complete`, a.orch);
    expect(await msUntilDenied(l1.credential)).toBeLessThan(1_000);

    const b = await setup("aws-return");
    const l2 = (await b.lease()).body;
    expect(await get(l2.credential)).toBe("ok");
    await stack.call("DELETE", `/v1/leases/${l2.lease_id}`, b.agent);
    expect(await msUntilDenied(l2.credential)).toBeLessThan(1_000);

    const c = await setup("aws-mass");
    const l3 = (await c.lease()).body;
    expect(await get(l3.credential)).toBe("ok");
    const security = await stack.token(SECURITY);
    const res = await stack.call("POST", "/v1/revocations", security, {
      selector: { agent: agentId("aws-mass") },
      reason: "incident",
    });
    expect(res.status).toBe(202);
    expect(await msUntilDenied(l3.credential)).toBeLessThan(1_000);
  });

  it("a lease shorter than STS's 900 s minimum stops working within 1 s of its own expiry", async () => {
    const { lease } = await setup("aws-short");
    const { body } = await lease({ ttl_seconds: 2 });
    expect(Date.parse(body.credential.expiration) - Date.now()).toBeGreaterThan(800_000); // STS issued 900 s
    expect(await get(body.credential)).toBe("ok");
    const expiresAt = Date.parse(body.expires_at);
    await waitFor(async () => ((await get(body.credential)) === "AccessDenied" ? true : undefined), {
      timeoutMs: 6_000,
      intervalMs: 20,
      what: "the short lease to be cut",
    });
    expect(Date.now() - expiresAt).toBeLessThan(1_000);
  });

  it("bad requests are refused before anything exists at AWS", async () => {
    const { lease, agent } = await setup("aws-bad");
    const before = aws.emulator.sessions().length;
    const unknown = await lease({ target: "nope" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.type).toBe("urn:leash:problem:unknown_target");
    const unmapped = await lease({ intent: { action: "delete", resource: "docs/readme.md" } });
    expect(unmapped.status).toBe(403);
    expect(unmapped.body.type).toBe("urn:leash:problem:provider_access_denied");
    // Each quote doubles when the session policy is serialised: over STS's 2,048-character limit.
    const huge = await lease({ intent: { action: "read", resource: `docs/${'"'.repeat(1000)}` } });
    expect(huge.status).toBe(400);
    expect(huge.body.type).toBe("urn:leash:problem:provider_rejected");
    // Refused before the write-ahead (the provider validates the compiled policy), so no lease and no session.
    const leases = (await (
      await stack.call(
        "GET",
        `/v1/leases?agent=${encodeURIComponent(agentId("aws-bad"))}`,
        await stack.token(SECURITY),
      )
    ).json()) as { items: { state: string }[] };
    expect(leases.items.filter((l) => l.state !== "aborted")).toEqual([]);
    expect(aws.emulator.sessions().length).toBe(before);
    expect(agent).toBeTruthy();
  });
  // Last: sessions issued in the same second as a role cut are cut too (AWS compares whole seconds).
  it("mass revocation of a whole target cuts the role once and settles every lease of it", async () => {
    const a = await setup("aws-cut-a");
    const b = await setup("aws-cut-b");
    const la = (await a.lease()).body;
    const lb = (await b.lease()).body;
    const security = await stack.token(SECURITY);
    const res = await stack.call("POST", "/v1/revocations", security, {
      selector: { target: "docs-reader" },
      reason: "role compromised",
    });
    const { id } = (await res.json()) as { id: string };
    expect(await msUntilDenied(la.credential)).toBeLessThan(1_000);
    expect(await get(lb.credential)).toBe("AccessDenied");
    const done = await waitFor(
      async () => {
        const p = (await (await stack.call("GET", `/v1/revocations/${id}`, security)).json()) as {
          state: string;
          revoked: number;
          matched: number;
        };
        return p.state === "done" ? p : undefined;
      },
      { what: "the campaign to finish" },
    );
    expect(done.revoked).toBe(done.matched);
    const cuts = (await (
      await stack.call("GET", "/v1/audit?type=revocation.target_cut", security)
    ).json()) as { items: unknown[] };
    expect(cuts.items).toHaveLength(1);
    // One receipt per lease of the cut target, not one event for the whole cut.
    const receipts = await waitFor(
      async () => {
        const page = (await (
          await stack.call("GET", "/v1/audit?type=lease.revoked&limit=1000", security)
        ).json()) as { items: { lease_id?: string; cause?: string; actor?: string }[] };
        const mine = page.items.filter((e) => e.lease_id === la.lease_id || e.lease_id === lb.lease_id);
        return mine.length >= 2 ? mine : undefined;
      },
      { what: "the receipts of the cut leases" },
    );
    expect(receipts).toHaveLength(2);
    for (const r of receipts) expect(r).toMatchObject({ cause: "campaign", actor: SECURITY });
  });
});
