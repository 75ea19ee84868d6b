import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endTask, type Intent, issueLease, LeashError, type MintRequest, revokeLease } from "@leash/core";
import { FakeGatewayRevocations, fakeBroker, givenTask, identity, revokerOf } from "@leash/core/testing";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { rotateSigningKeys, SigningKeyFile } from "../leash-jwt/keys.js";
import { GatewayConfig } from "./config.js";
import { createGatewayProvider, GATEWAY_CLOCK_SKEW_MS } from "./provider.js";
import { createGatewayTokenVerifier, GATEWAY_TOKEN_TYP } from "./token.js";

const ISSUER = "https://leash.test";
const GATEWAY = "https://gw.test";
const AGENT = "spiffe://example.org/agent";
const config = GatewayConfig.parse({
  upstreams: {
    github: {
      url: "https://api.github.com",
      auth: { type: "header", name: "authorization", secret: { vault_kv: "secret/gh", key: "t" } },
      methods: { search: ["POST"] },
    },
    docs: {
      url: "http://127.0.0.1:4566/docs",
      auth: { type: "aws-sigv4", target: "docs-reader", service: "s3", region: "eu-west-1" },
    },
  },
});

let keys: SigningKeyFile;
beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), "leash-gw-")), "keys.json");
  await rotateSigningKeys(path);
  keys = new SigningKeyFile(path, 0);
});

function provider(revocations = new FakeGatewayRevocations()) {
  const p = createGatewayProvider({
    config,
    issuer: ISSUER,
    publicUrl: GATEWAY,
    keys,
    revocations,
    maxTtlSeconds: 900,
  });
  return { p, revocations };
}

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 123);
function mintRequest(overrides: Partial<MintRequest> = {}): MintRequest {
  return {
    leaseId: "ls_1",
    taskId: "tk_1",
    agent: AGENT,
    target: "github",
    intent: { action: "read", resource: "repos/leash/" },
    ttlSeconds: 300,
    issuedAt: NOW,
    expiresAt: NOW + 300_000,
    actorChain: [],
    scopeHints: [],
    ...overrides,
  };
}

const signal = () => AbortSignal.timeout(5_000);
async function refusal(run: () => unknown): Promise<LeashError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof LeashError) return error;
    throw error;
  }
  throw new Error("expected a LeashError");
}

describe("the gateway provider: validation", () => {
  it("needs a configured upstream as target", async () => {
    const { p } = provider();
    const read: Intent = { action: "read", resource: "x" };
    expect((await refusal(() => p.validate(undefined, read))).code).toBe("unknown_target");
    for (const target of ["slack", "constructor", "__proto__", "GitHub"]) {
      const error = await refusal(() => p.validate(target, read));
      expect(error.code).toBe("unknown_target");
    }
    expect(() => p.validate("github", read)).not.toThrow();
  });

  it("refuses an action that has no method on the upstream, before anything is written", async () => {
    const { p } = provider();
    const error = await refusal(() => p.validate("github", { action: "list", resource: "x" }));
    expect(error.code).toBe("provider_access_denied");
    expect(error.message).toContain('"list"');
    expect(() => p.validate("github", { action: "search", resource: "x" })).not.toThrow();
    expect(() => p.validate("docs", { action: "list", resource: "reports/" })).not.toThrow();
  });

  it("grants leases as long as leash-jwt does, and re-signs on an idempotent replay", () => {
    const { p } = provider();
    expect(p.name).toBe("gateway");
    expect(p.maxTtlSeconds("github")).toBe(900);
    expect(p.remintable).toBe(true);
    // Revocation goes through the worker like any provider's, so the end is confirmed once recorded.
    expect(p.revokesInStore).toBeFalsy();
  });
});

describe("the gateway provider: mint", () => {
  it("returns {token, token_type, base_url}, never anything of the upstream's secret", async () => {
    const { p } = provider();
    const minted = await p.mint(mintRequest(), signal());
    expect(Object.keys(minted.credential).sort()).toEqual(["base_url", "token", "token_type"]);
    expect(minted.credential).toMatchObject({ token_type: "Bearer", base_url: `${GATEWAY}/u/github/` });
    expect(JSON.stringify(minted.credential)).not.toContain("secret/gh");
    expect(minted).toMatchObject({
      handle: {},
      providerExpiresAt: NOW + 300_000,
      scope: ["read:repos/leash/"],
    });
  });

  it("signs a leash-gw+jwt token with the contract's claims", async () => {
    const { p } = provider();
    const token = String((await p.mint(mintRequest(), signal())).credential.token);
    const { kid } = await keys.current();
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid, typ: GATEWAY_TOKEN_TYP });
    const iat = Math.floor(NOW / 1000);
    expect(decodeJwt(token)).toEqual({
      iss: ISSUER,
      aud: `${GATEWAY}/u/github/`,
      sub: AGENT,
      jti: "ls_1",
      task_id: "tk_1",
      upstream: "github",
      intent: { action: "read", resource: "repos/leash/" },
      methods: ["GET", "HEAD"],
      lease_issued_at: NOW,
      iat,
      nbf: iat,
      exp: iat + 300,
    });
  });

  it("a token it mints verifies into the lease's grant", async () => {
    const { p } = provider();
    const token = String(
      (await p.mint(mintRequest({ target: "docs", intent: { action: "list", resource: "r/" } }), signal()))
        .credential.token,
    );
    const verifier = createGatewayTokenVerifier({
      keys,
      issuer: ISSUER,
      publicUrl: GATEWAY,
      clock: { now: () => NOW },
    });
    expect(await verifier.verify(token, "docs")).toEqual({
      leaseId: "ls_1",
      taskId: "tk_1",
      agent: AGENT,
      upstream: "docs",
      action: "list",
      resource: "r/",
      methods: ["GET"],
      issuedAt: NOW,
      expiresAt: Math.floor((NOW + 300_000) / 1000) * 1000,
    });
  });

  it("refuses to mint for an upstream or action it would not validate", async () => {
    const { p } = provider();
    expect((await refusal(() => p.mint(mintRequest({ target: "slack" }), signal()))).code).toBe(
      "unknown_target",
    );
    expect((await refusal(() => p.mint(mintRequest({ target: undefined }), signal()))).code).toBe(
      "unknown_target",
    );
    const list = mintRequest({ intent: { action: "list", resource: "x" } });
    expect((await refusal(() => p.mint(list, signal()))).code).toBe("provider_access_denied");
  });
});

describe("the gateway provider: ending leases", () => {
  const revokeRequest = { leaseId: "ls_1", taskId: "tk_1", agent: AGENT, target: "github", handle: {} };

  it("revoke and reclaim record the lease ended until its credential has expired everywhere", async () => {
    const { p, revocations } = provider();
    expect(
      await p.revoke({ ...revokeRequest, issuedAt: NOW, providerExpiresAt: NOW + 300_000 }, signal()),
    ).toEqual({});
    // A reclaimed lease never activated has no provider expiry: the longest lease the provider grants bounds it.
    await p.reclaim({ ...revokeRequest, leaseId: "ls_2", issuedAt: NOW, providerExpiresAt: null }, signal());
    expect(revocations.entries).toEqual([
      { kind: "lease", leaseId: "ls_1", expiresAt: NOW + 300_000 + GATEWAY_CLOCK_SKEW_MS },
      { kind: "lease", leaseId: "ls_2", expiresAt: NOW + 900_000 + GATEWAY_CLOCK_SKEW_MS },
    ]);
  });

  it("cuts a whole upstream in one record, covering every lease issued before the cut", async () => {
    const { p, revocations } = provider();
    expect(await p.cutTarget?.({ target: "github", issuedBefore: NOW }, signal())).toBe(true);
    expect(revocations.entries).toEqual([
      {
        kind: "cut",
        upstream: "github",
        issuedBefore: NOW,
        expiresAt: NOW + 900_000 + GATEWAY_CLOCK_SKEW_MS,
      },
    ]);
    expect(revocations.set.ended({ leaseId: "ls_9", upstream: "github", issuedAt: NOW - 1 })).toBe(true);
    expect(revocations.set.ended({ leaseId: "ls_9", upstream: "github", issuedAt: NOW })).toBe(false);
  });

  it("a record that fails is a retryable provider_unavailable; an aborted call records nothing", async () => {
    const { p, revocations } = provider();
    revocations.failNext = new Error("ECONNREFUSED");
    const error = await refusal(() =>
      p.revoke({ ...revokeRequest, issuedAt: NOW, providerExpiresAt: null }, signal()),
    );
    expect(error).toMatchObject({ code: "provider_unavailable", retry: true });
    const aborted = AbortSignal.abort(new Error("stopping"));
    await expect(
      p.revoke({ ...revokeRequest, issuedAt: NOW, providerExpiresAt: null }, aborted),
    ).rejects.toThrow("stopping");
    expect(revocations.entries).toEqual([]);
  });
});

describe("the gateway provider in the broker (core fakes)", () => {
  it("issues a gateway lease and, when the task completes, revocation records it ended", async () => {
    const revocations = new FakeGatewayRevocations();
    const { p } = provider(revocations);
    const broker = fakeBroker({ providers: [p] });
    const task = await givenTask(broker, {
      agent: AGENT,
      ceiling: [{ action: "read", resource: "repos/*" }],
    });
    const out = await issueLease(broker, identity(AGENT, "agent"), {
      taskId: task.id,
      provider: "gateway",
      target: "github",
      intent: { action: "read", resource: "repos/leash/" },
      ttlSeconds: 120,
    });
    if (out.kind !== "issued") throw new Error(`expected a lease, got ${out.kind}`);
    const verifier = createGatewayTokenVerifier({
      keys,
      issuer: ISSUER,
      publicUrl: GATEWAY,
      clock: broker.clock,
    });
    const grant = await verifier.verify(String(out.credential.token), "github");
    expect(grant).toMatchObject({ leaseId: out.lease.id, issuedAt: out.lease.issuedAt, taskId: task.id });

    const ended = await endTask(
      broker,
      identity("spiffe://example.org/orchestrator", "orchestrator"),
      task.id,
      "completed",
    );
    expect(ended.revoking).toBe(1);
    expect(revocations.set.ended(grant)).toBe(false);
    expect(await revokeLease(revokerOf(broker), out.lease.id)).toMatchObject({
      kind: "revoked",
      provider: "gateway",
    });
    expect(revocations.set.ended(grant)).toBe(true);
    expect(broker.leases.leases.get(out.lease.id)?.state).toBe("revoked");
  });
});
