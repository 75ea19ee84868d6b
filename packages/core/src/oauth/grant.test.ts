import { describe, expect, it } from "vitest";
import { LeashError } from "../errors.js";
import type { IdentityVerifier, VerifyOptions, WorkloadIdentity } from "../identity.js";
import { type FakeBroker, FakePolicy, FakeProvider, fakeBroker, givenTask } from "../testing/index.js";
import { OAuthError } from "./errors.js";
import { type GrantDeps, grantAccessToken } from "./grant.js";
import { SESSION_INTENT } from "./session.js";
import { parseTokenRequest, TOKEN_TYPE_JWT } from "./token-request.js";

const ISSUER = "https://leash.example";
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
const MCP = `${ISSUER}/mcp`;
const RESOURCE = "https://tools.example/mcp";
const AGENT = "spiffe://example.org/agent";
const PARENT = "spiffe://example.org/parent";
const MINUTE = 60_000;

/** Tokens are names; each stands for an identity valid for some audiences, as the real verifier would check. */
class FakeVerifier implements IdentityVerifier {
  readonly tokens = new Map<string, { identity: WorkloadIdentity; aud: string[] }>();

  add(token: string, subject: string, aud: string[], life = { iat: 0, exp: 5 * MINUTE }, roles = ["agent"]) {
    this.tokens.set(token, {
      identity: {
        subject,
        issuer: "https://idp.example",
        roles: new Set(roles as ("agent" | "orchestrator" | "security")[]),
        issuedAt: life.iat,
        expiresAt: life.exp,
      },
      aud,
    });
  }

  async verify(token: string, options: VerifyOptions = {}): Promise<WorkloadIdentity> {
    const known = this.tokens.get(token);
    if (!known) throw new LeashError("unauthenticated", "signature verification failed");
    const wanted = options.audience ?? ["leash"];
    if (!known.aud.some((a) => wanted.includes(a)))
      throw new LeashError("unauthenticated", `audience must include ${wanted.join(" or ")}`);
    if (options.audience && known.aud.includes("leash"))
      throw new LeashError("unauthenticated", "audience must not include leash here");
    return known.identity;
  }
}

function setup(policy?: FakePolicy) {
  const oauth = new FakeProvider({ name: "oauth", remintable: true });
  const broker = fakeBroker({ providers: [oauth], ...(policy ? { policy } : {}) });
  const verifier = new FakeVerifier();
  verifier.add("agent-bearer", AGENT, ["leash"]);
  verifier.add("agent-assertion", AGENT, [TOKEN_ENDPOINT]);
  verifier.add("parent-bearer", PARENT, ["leash"]);
  const deps: GrantDeps = {
    broker,
    verifier,
    issuer: ISSUER,
    tokenEndpoint: TOKEN_ENDPOINT,
    mcpResource: MCP,
  };
  return { broker, verifier, oauth, deps };
}

const exchange = (extra: Record<string, string> = {}) =>
  parseTokenRequest(
    Object.entries({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: "agent-bearer",
      subject_token_type: TOKEN_TYPE_JWT,
      resource: RESOURCE,
      ...extra,
    }),
  );
const credentials = (extra: Record<string, string> = {}) =>
  parseTokenRequest(
    Object.entries({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: "agent-assertion",
      resource: RESOURCE,
      ...extra,
    }),
  );

async function refusal(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error("expected an OAuthError");
}

async function givenAgentTask(broker: FakeBroker, overrides = {}) {
  return givenTask(broker, { agent: AGENT, ceiling: [{ action: "read", resource: "docs/*" }], ...overrides });
}

describe("token exchange: the workload JWT as subject token", () => {
  it("issues an oauth lease whose target is the resource, for the named task and intent", async () => {
    const { broker, deps, oauth } = setup();
    const task = await givenAgentTask(broker);
    const granted = await grantAccessToken(deps, exchange({ scope: `task:${task.id} read:docs/a` }));
    expect(granted.lease).toMatchObject({
      provider: "oauth",
      target: RESOURCE,
      agent: AGENT,
      taskId: task.id,
      intent: { action: "read", resource: "docs/a" },
      state: "active",
    });
    expect(granted).toMatchObject({ taskId: task.id, intent: { action: "read", resource: "docs/a" } });
    expect(oauth.minted[0]).toMatchObject({ target: RESOURCE, agent: AGENT });
    expect(oauth.minted[0]?.confirmation).toBeUndefined();
  });

  it("binds the token to a proven DPoP key", async () => {
    const { broker, deps, oauth } = setup();
    await givenAgentTask(broker);
    await grantAccessToken(deps, exchange({ scope: "read:docs/a" }), { jkt: "thumb", spend: async () => {} });
    expect(oauth.minted[0]?.confirmation).toEqual({ jkt: "thumb" });
  });

  // The proof's jti is written to the store when spent: an anonymous sender must not be able to fill it.
  it("spends the DPoP proof only once the caller has authenticated, and before anything is issued", async () => {
    const { broker, deps, oauth } = setup();
    await givenAgentTask(broker);
    let spent = 0;
    const proof = { jkt: "thumb", spend: async () => void spent++ };
    await refusal(grantAccessToken(deps, exchange({ subject_token: "forged", scope: "read:docs/a" }), proof));
    expect(spent).toBe(0);
    const replayed = {
      jkt: "thumb",
      spend: async () => {
        throw new OAuthError("invalid_dpop_proof", "DPoP proof was used before (jti)");
      },
    };
    expect((await refusal(grantAccessToken(deps, exchange({ scope: "read:docs/a" }), replayed))).code).toBe(
      "invalid_dpop_proof",
    );
    expect(oauth.minted).toHaveLength(0);
    await grantAccessToken(deps, exchange({ scope: "read:docs/a" }), proof);
    expect(spent).toBe(1);
  });

  it("picks the agent's only active task, and asks to name one when it has several", async () => {
    const { broker, deps } = setup();
    const task = await givenAgentTask(broker);
    await givenTask(broker, { agent: "spiffe://example.org/other" });
    expect((await grantAccessToken(deps, exchange({ scope: "read:docs/a" }))).taskId).toBe(task.id);
    await givenAgentTask(broker);
    const error = await refusal(grantAccessToken(deps, exchange({ scope: "read:docs/a" })));
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.description).toContain("several active tasks");
  });

  it("refuses a bad subject token as invalid_grant, and reports it for the audit", async () => {
    const { broker, deps } = setup();
    await givenAgentTask(broker);
    const rejected: string[] = [];
    deps.onIdentityRejected = (reason) => rejected.push(reason);
    expect(
      (await refusal(grantAccessToken(deps, exchange({ subject_token: "forged", scope: "read:docs/a" }))))
        .code,
    ).toBe("invalid_grant");
    // A client assertion is not a bearer token for the API, so not a subject token either.
    const asAssertion = exchange({ subject_token: "agent-assertion", scope: "read:docs/a" });
    expect((await refusal(grantAccessToken(deps, asAssertion))).code).toBe("invalid_grant");
    expect(rejected).toEqual([
      "subject_token: signature verification failed",
      "subject_token: audience must include leash",
    ]);
  });

  it("refuses a client_id that is not the subject, and a client assertion of someone else", async () => {
    const { broker, deps, verifier } = setup();
    await givenAgentTask(broker);
    const wrongId = exchange({ scope: "read:docs/a", client_id: "spiffe://example.org/other" });
    expect(await refusal(grantAccessToken(deps, wrongId))).toMatchObject({
      code: "invalid_client",
      status: 401,
    });
    verifier.add("other-assertion", "spiffe://example.org/other", [TOKEN_ENDPOINT]);
    const otherClient = exchange({
      scope: "read:docs/a",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: "other-assertion",
    });
    expect((await refusal(grantAccessToken(deps, otherClient))).code).toBe("invalid_client");
  });

  it("refuses identities without the agent role, and suspended ones", async () => {
    const { broker, deps, verifier } = setup();
    await givenAgentTask(broker);
    verifier.add("orch", "spiffe://example.org/orchestrator", ["leash"], undefined, ["orchestrator"]);
    const orch = exchange({ subject_token: "orch", scope: "read:docs/a" });
    expect((await refusal(grantAccessToken(deps, orch))).code).toBe("unauthorized_client");
    await broker.suspensions.suspend(
      {
        agent: AGENT,
        reason: "test",
        until: null,
        by: "spiffe://example.org/security",
        at: broker.clock.now(),
      },
      false,
    );
    expect((await refusal(grantAccessToken(deps, exchange({ scope: "read:docs/a" })))).code).toBe(
      "access_denied",
    );
  });
});

describe("what issuance decides, as OAuth errors", () => {
  it("a task that is not the agent's, or not active, is invalid_grant", async () => {
    const { broker, deps } = setup();
    const other = await givenTask(broker, { agent: "spiffe://example.org/other" });
    const ended = await givenAgentTask(broker, { state: "completed" });
    for (const id of [other.id, ended.id, "missing"]) {
      expect(
        (await refusal(grantAccessToken(deps, exchange({ scope: `task:${id} read:docs/a` })))).code,
      ).toBe("invalid_grant");
    }
  });

  it("an intent outside the ceiling, or denied by policy, is access_denied", async () => {
    const { broker, deps } = setup(
      new FakePolicy((r) => (r.intent.action === "list" ? { allowed: false } : {})),
    );
    await givenAgentTask(broker, {
      ceiling: [
        { action: "read", resource: "docs/*" },
        { action: "list", resource: "*" },
      ],
    });
    expect((await refusal(grantAccessToken(deps, exchange({ scope: "read:secrets/a" })))).code).toBe(
      "access_denied",
    );
    expect((await refusal(grantAccessToken(deps, exchange({ scope: "list:docs/" })))).code).toBe(
      "access_denied",
    );
  });

  it("escalation through authorization_details (sensitivity above the ceiling's) is access_denied", async () => {
    const { broker, deps } = setup();
    await givenAgentTask(broker, {
      ceiling: [{ action: "read", resource: "docs/*", sensitivity: "internal" }],
    });
    const details = JSON.stringify([
      { type: "leash_intent", action: "read", resource: "docs/a", sensitivity: "restricted" },
    ]);
    const error = await refusal(grantAccessToken(deps, exchange({ authorization_details: details })));
    expect(error.code).toBe("access_denied");
    expect(error.description).toContain("outside the task's ceiling");
  });

  it("a step-up is access_denied naming the approval, and the same request gets the token once approved", async () => {
    const { broker, deps } = setup(new FakePolicy(() => ({ approvalRequired: true })));
    await givenAgentTask(broker);
    const request = exchange({ scope: "read:docs/a" });
    const proof = { jkt: "k", spend: async () => {} };
    const error = await refusal(grantAccessToken(deps, request, proof));
    expect(error.code).toBe("access_denied");
    const approvalId = String(error.extensions?.approval_id);
    expect(error.description).toContain(`approval_id=${approvalId}`);
    const approval = await broker.approvals.get(approvalId);
    if (!approval) throw new Error("no approval recorded");
    await broker.approvals.decide(
      approvalId,
      "approved",
      "spiffe://example.org/security",
      broker.clock.now(),
    );
    const granted = await grantAccessToken(deps, request, proof);
    expect(granted.lease.state).toBe("active");
  });

  it("a full quota is 429 access_denied with Retry-After", async () => {
    const { broker, deps } = setup();
    await givenAgentTask(broker, { quota: { maxLive: 1 } });
    await grantAccessToken(deps, exchange({ scope: "read:docs/a" }));
    const error = await refusal(grantAccessToken(deps, exchange({ scope: "read:docs/b" })));
    expect(error).toMatchObject({ code: "access_denied", status: 429 });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.extensions).toMatchObject({ limit: "max_live" });
  });
});

describe("delegation: the actor token", () => {
  async function delegated(broker: FakeBroker) {
    const parent = await givenTask(broker, {
      agent: PARENT,
      ceiling: [{ action: "read", resource: "docs/*" }],
    });
    const child = await givenTask(broker, {
      agent: AGENT,
      parentId: parent.id,
      depth: 1,
      ceiling: [{ action: "read", resource: "docs/a/*" }],
    });
    return { parent, child };
  }

  it("accepts the delegating agent's token as actor and records the chain for act", async () => {
    const { broker, deps, oauth } = setup();
    const { child } = await delegated(broker);
    const request = exchange({
      scope: `task:${child.id} read:docs/a/x`,
      actor_token: "parent-bearer",
      actor_token_type: TOKEN_TYPE_JWT,
    });
    await grantAccessToken(deps, request);
    expect(oauth.minted[0]?.actorChain).toEqual([PARENT]);
  });

  it("refuses an actor that is not the delegating agent, and an actor on a root task", async () => {
    const { broker, deps, verifier } = setup();
    const { child } = await delegated(broker);
    verifier.add("stranger", "spiffe://example.org/stranger", ["leash"]);
    const stranger = exchange({
      scope: `task:${child.id} read:docs/a/x`,
      actor_token: "stranger",
      actor_token_type: TOKEN_TYPE_JWT,
    });
    expect((await refusal(grantAccessToken(deps, stranger))).code).toBe("invalid_grant");
    const root = await givenAgentTask(broker);
    const onRoot = exchange({
      scope: `task:${root.id} read:docs/a`,
      actor_token: "parent-bearer",
      actor_token_type: TOKEN_TYPE_JWT,
    });
    expect((await refusal(grantAccessToken(deps, onRoot))).code).toBe("invalid_grant");
  });

  it("a sub-agent cannot widen its parent's ceiling through the exchange", async () => {
    const { broker, deps } = setup();
    const { child } = await delegated(broker);
    // Widen the sub-task's own ceiling behind the API's back: the parent's still bounds it.
    broker.tasks.tasks.set(child.id, { ...child, ceiling: [{ action: "read", resource: "*" }] });
    const error = await refusal(
      grantAccessToken(deps, exchange({ scope: `task:${child.id} read:secrets/x` })),
    );
    expect(error.code).toBe("access_denied");
  });
});

describe("client credentials: the workload JWT as client assertion", () => {
  it("issues for the assertion's subject", async () => {
    const { broker, deps } = setup();
    await givenAgentTask(broker);
    expect((await grantAccessToken(deps, credentials({ scope: "read:docs/a" }))).lease.agent).toBe(AGENT);
  });

  it("refuses assertions for the API's audience, for another audience, without iat or living over 10 minutes", async () => {
    const { broker, deps, verifier } = setup();
    await givenAgentTask(broker);
    verifier.add("for-elsewhere", AGENT, ["https://elsewhere.example"]);
    verifier.add("no-iat", AGENT, [ISSUER], { iat: undefined as unknown as number, exp: MINUTE });
    verifier.add("too-long", AGENT, [ISSUER], { iat: 0, exp: 10 * MINUTE + 1_000 });
    verifier.add("ten-minutes", AGENT, [ISSUER], { iat: 0, exp: 10 * MINUTE });
    for (const assertion of ["agent-bearer", "for-elsewhere", "no-iat", "too-long"]) {
      const error = await refusal(
        grantAccessToken(deps, credentials({ client_assertion: assertion, scope: "read:docs/a" })),
      );
      expect(error, assertion).toMatchObject({ code: "invalid_client", status: 401 });
    }
    await expect(
      grantAccessToken(deps, credentials({ client_assertion: "ten-minutes", scope: "read:docs/a" })),
    ).resolves.toBeTruthy();
  });
});

describe("tokens for Leash's own /mcp", () => {
  it("need no intent: the lease records the session intent, which no ceiling or policy decides", async () => {
    const policy = new FakePolicy(() => ({ allowed: false }));
    const { broker, deps } = setup(policy);
    const task = await givenAgentTask(broker);
    const granted = await grantAccessToken(deps, exchange({ resource: MCP, scope: `task:${task.id}` }));
    expect(granted.intent).toBeUndefined();
    expect(granted.lease.intent).toEqual(SESSION_INTENT);
    expect(policy.requests).toEqual([]);
    const noScope = await grantAccessToken(deps, exchange({ resource: MCP }));
    expect(noScope.lease.target).toBe(MCP);
  });

  it("any other resource needs an intent", async () => {
    const { broker, deps } = setup();
    await givenAgentTask(broker);
    const error = await refusal(grantAccessToken(deps, exchange({ scope: "" })));
    expect(error.code).toBe("invalid_request");
  });
});
