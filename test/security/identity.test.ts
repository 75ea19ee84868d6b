import { randomUUID } from "node:crypto";
import { waitFor } from "@leash/devstack";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { type ForgeIssuer, signWith, startForgeIssuer, unsecuredToken } from "./support/forge.js";
import { expectProblem, type Seen, see } from "./support/problem.js";
import { PARTNER_DOMAIN, rolesWith } from "./support/trust.js";

// Low enough to reach with a dozen requests; the other tests here use each subject a few times at most.
const RATE_PER_SECOND = 2;
const RATE_BURST = 5;
/** The documented bound: an unknown `kid` refetches a remote key set at most once per 30 s. */
const MAX_REFETCHES_PER_COOLDOWN = 1;

let stack: Stack;
let partner: ForgeIssuer;
let attacker: ForgeIssuer;

beforeAll(async () => {
  partner = await startForgeIssuer();
  attacker = await startForgeIssuer();
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    extraIssuers: [
      {
        issuer: partner.issuerUrl,
        jwks_uri: partner.jwksUri,
        algorithms: ["ES256"],
        subject_prefixes: [`${PARTNER_DOMAIN}/`],
      },
    ],
    config: { roles: rolesWith({ agent: [`${PARTNER_DOMAIN}/agent/`] }) },
    env: {
      LEASH_RATE_LIMIT_PER_SECOND: String(RATE_PER_SECOND),
      LEASH_RATE_LIMIT_BURST: String(RATE_BURST),
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await partner?.stop();
  await attacker?.stop();
});

/** Any authenticated request: a known caller gets 404 for a task that does not exist, an impostor 401. */
async function probe(token: string): Promise<Seen> {
  return see(await stack.call("GET", `/v1/tasks/probe-${randomUUID()}`, token));
}

const partnerAgent = (name: string) => `${PARTNER_DOMAIN}/agent/${name}`;
const now = () => Math.floor(Date.now() / 1000);

async function expectRejected(token: string, detail?: RegExp) {
  const seen = await probe(token);
  const body = expectProblem(seen, 401, "unauthenticated");
  expect(seen.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
  // The token itself is never echoed back, not even the part that names the caller.
  expect(seen.body).not.toContain(token.split(".")[1] ?? token);
  if (detail) expect(body.detail).toMatch(detail);
}

describe("a second trusted issuer (positive control)", () => {
  it("its well-formed token is accepted, with its keys fetched from its jwks_uri", async () => {
    expectProblem(await probe(await partner.sign({ sub: partnerAgent("control") })), 404, "not_found");
    expect(partner.fetches()).toBeGreaterThanOrEqual(1);
  });
});

describe("forged signatures", () => {
  const claims = () => ({
    iss: partner.issuerUrl,
    sub: partnerAgent("forger"),
    aud: "leash",
    exp: now() + 300,
  });

  it("alg none is refused, however it is spelt", async () => {
    for (const alg of ["none", "None", "NONE"]) {
      await expectRejected(unsecuredToken(claims(), alg), /not allowed/);
    }
  });

  it("an HMAC signed with the issuer's public key (algorithm confusion) is refused", async () => {
    const secrets = [
      new TextEncoder().encode(partner.publicPem),
      new TextEncoder().encode(JSON.stringify(partner.publicJwk)),
    ];
    for (const secret of secrets) {
      for (const alg of ["HS256", "HS384", "HS512"]) {
        const token = await signWith(secret, { alg, kid: partner.kid, typ: "JWT" }, claims());
        await expectRejected(token, /not allowed/);
      }
    }
  });

  it("jku, x5u and an embedded jwk are never followed: the attacker's key server sees no request", async () => {
    const pointers = { jku: attacker.jwksUri, x5u: attacker.jwksUri, jwk: attacker.publicJwk };
    const before = attacker.fetches();
    // The attacker's own kid, then the trusted issuer's kid, then none: each would verify if a header were used.
    for (const kid of [attacker.kid, partner.kid, undefined]) {
      const token = await attacker.sign({ ...claims() }, { ...pointers, kid });
      await expectRejected(token);
    }
    expect(attacker.fetches()).toBe(before);
  });

  it("a trusted issuer's name on a token signed by another trusted issuer's key is refused", async () => {
    const devIssuer = stack.issuerServer.issuerUrl;
    await expectRejected(await partner.sign({ iss: devIssuer, sub: agentId("cross") }), /kid|signature/);
  });
});

describe("claims", () => {
  it("expired tokens are refused beyond the documented 30 s of skew, and accepted within it", async () => {
    await expectRejected(await partner.sign({ sub: partnerAgent("late"), exp: now() - 45 }), /expired/);
    await expectRejected(await partner.sign({ sub: partnerAgent("late"), exp: now() - 3600 }), /expired/);
    const withinSkew = await partner.sign({ sub: partnerAgent("skew"), iat: now() - 60, exp: now() - 10 });
    expectProblem(await probe(withinSkew), 404, "not_found");
  });

  it("tokens not yet valid (nbf) or issued in the future (iat) are refused", async () => {
    await expectRejected(await partner.sign({ nbf: now() + 120 }), /not yet valid/);
    await expectRejected(await partner.sign({ iat: now() + 120 }), /future/);
  });

  it("an untrusted iss, or a wrong or missing aud, is refused", async () => {
    await expectRejected(await partner.sign({ iss: "https://evil.example" }), /not trusted/);
    await expectRejected(await partner.sign({ iss: `${partner.issuerUrl}/` }), /not trusted/);
    await expectRejected(await partner.sign({ aud: "other" }), /audience/);
    await expectRejected(await partner.sign({ aud: ["tools", "leashx"] }), /audience/);
    await expectRejected(await partner.sign({ aud: undefined }), /aud/);
  });

  it("a token without exp, sub or iss, or with an empty sub, is refused", async () => {
    await expectRejected(await partner.sign({ exp: undefined }), /exp/);
    await expectRejected(await partner.sign({ sub: undefined }), /sub/);
    await expectRejected(await partner.sign({ sub: "" }), /sub/);
    await expectRejected(await partner.sign({ iss: undefined }), /iss/);
  });

  it("a token over 8 KiB is refused before it is parsed; one just under is accepted", async () => {
    const padded = async (length: number) => {
      let token = await partner.sign({ sub: partnerAgent("big"), pad: "" });
      const pad = "x".repeat(Math.floor(((length - token.length) * 3) / 4));
      token = await partner.sign({ sub: partnerAgent("big"), pad });
      return token;
    };
    const over = await padded(8_300);
    expect(over.length).toBeGreaterThan(8_192);
    await expectRejected(over, /8192/);
    const under = await padded(8_000);
    expect(under.length).toBeLessThanOrEqual(8_192);
    expectProblem(await probe(under), 404, "not_found");
  });
});

describe("caller-controlled text in the refusal", () => {
  it("an iss, kid or alg with characters outside Latin-1 or control characters still gets a 401 problem", async () => {
    const odd = ["https://évil.example/𝕃", "line\r\nx-injected: 1", "\u0000\u202e"];
    for (const text of odd) {
      await expectRejected(await partner.sign({ iss: text }));
      await expectRejected(await partner.sign({}, { kid: text }));
      await expectRejected(unsecuredToken({ iss: partner.issuerUrl }, text));
    }
    const seen = await probe(await partner.sign({ iss: odd[1] }));
    expect(seen.headers.get("x-injected")).toBeNull();
  });
});

describe("trust boundaries between issuers", () => {
  it("an issuer may not assert a subject of another issuer's trust domain", async () => {
    const asOrchestrator = await partner.sign({ sub: ORCHESTRATOR });
    await expectRejected(asOrchestrator, /may not assert subject/);
    const create = await see(
      await stack.call("POST", "/v1/tasks", asOrchestrator, {
        agent: partnerAgent("x"),
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 60,
      }),
    );
    expectProblem(create, 401, "unauthenticated");
    await expectRejected(await partner.sign({ sub: SECURITY }), /may not assert subject/);
    // And the other way round: the dev issuer cannot speak for the partner's agents.
    await expectRejected(await stack.token(partnerAgent("x")), /may not assert subject/);
  });
});

describe("unknown kid: bounded refetch, no amplification", () => {
  it(`N tokens with random unknown kids cause at most ${MAX_REFETCHES_PER_COOLDOWN} JWKS fetch`, async () => {
    // Warm the cache first, so what follows is counted against a set Leash already holds.
    expectProblem(await probe(await partner.sign({ sub: partnerAgent("warm") })), 404, "not_found");
    const before = partner.fetches();
    const requests = 60;
    const tokens = await Promise.all(
      Array.from({ length: requests }, async () => {
        const { privateKey } = await generateKeyPair("ES256");
        return signWith(
          privateKey,
          { alg: "ES256", kid: randomUUID(), typ: "JWT" },
          { iss: partner.issuerUrl, sub: partnerAgent("kid"), aud: "leash" },
        );
      }),
    );
    const seen = await Promise.all(tokens.map(probe));
    for (const s of seen) expectProblem(s, 401, "unauthenticated");
    const fetched = partner.fetches() - before;
    console.log(`${requests} tokens with unknown kids -> ${fetched} JWKS fetch(es)`);
    expect(fetched).toBeLessThanOrEqual(MAX_REFETCHES_PER_COOLDOWN);
    // The issuer's real key still works afterwards: the flood did not poison the cache.
    expectProblem(await probe(await partner.sign({ sub: partnerAgent("after") })), 404, "not_found");
  });
});

describe("identity failures are audited", () => {
  it("each refused token leaves an identity.rejected event", async () => {
    const security = await stack.token(SECURITY);
    const rejected = await waitFor(
      async () => {
        const res = await stack.call("GET", "/v1/audit?type=identity.rejected&limit=1000", security);
        const { items } = (await res.json()) as { items: { outcome: string }[] };
        return items.length >= 30 ? items : undefined;
      },
      // Slow polling: the caller is rate limited like any other.
      { intervalMs: 600, timeoutMs: 10_000, what: "identity.rejected events" },
    );
    expect(rejected.every((e) => e.outcome === "denied")).toBe(true);
  });
});

describe("per-identity rate limit", () => {
  it(`beyond a burst of ${RATE_BURST}, one identity gets 429 with Retry-After; another is unaffected`, async () => {
    const flooder = await stack.token(agentId("flooder"));
    const bystander = await stack.token(agentId("bystander"));
    const started = Date.now();
    const flood = await Promise.all(Array.from({ length: RATE_BURST * 4 }, () => probe(flooder)));
    const seconds = (Date.now() - started) / 1000;
    const served = flood.filter((s) => s.status === 404).length;
    const limited = flood.filter((s) => s.status === 429);
    // At most the burst plus what the bucket refilled while the flood lasted (a slow machine stretches it).
    expect(served).toBeLessThanOrEqual(RATE_BURST + Math.ceil(seconds * RATE_PER_SECOND));
    expect(served + limited.length).toBe(flood.length);
    expect(limited.length).toBeGreaterThan(0);
    for (const s of limited) {
      expectProblem(s, 429, "rate_limited");
      expect(Number(s.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    expectProblem(await probe(bystander), 404, "not_found");
    // The bucket refills: the flooder is served again within about 1 / rate seconds.
    await waitFor(async () => ((await probe(flooder)).status === 404 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 100,
      what: "the flooder's bucket to refill",
    });
  });
});
