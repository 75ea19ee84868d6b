import { beforeAll, describe, expect, it } from "vitest";
import type { Refusal } from "./refusal.js";
import { type Authenticated, createResourceServer, type ResourceServerOptions } from "./resource-server.js";
import type { RevocationStatus } from "./revocation-feed.js";
import {
  accessToken,
  type DpopKey,
  dpopKey,
  dpopProof,
  frozenClock,
  ISSUER,
  keysOf,
  NOW_S,
  RESOURCE,
  type Signer,
  signer,
} from "./testing/tokens.js";
import { until } from "./testing/wait.js";

let leash: Signer;
let key: DpopKey;
beforeAll(async () => {
  leash = await signer();
  key = await dpopKey();
});

const META = "https://tools.example/.well-known/oauth-protected-resource/mcp";

function server(status: RevocationStatus = "live", extra: Partial<ResourceServerOptions> = {}) {
  return createResourceServer({
    resource: RESOURCE,
    issuer: ISSUER,
    keys: keysOf(leash),
    revocation: { status: () => status },
    clock: frozenClock(),
    ...extra,
  });
}

const request = (headers: Record<string, string> = {}, url = RESOURCE) =>
  new Request(url, { method: "POST", headers });

function refused(outcome: Authenticated | Refusal): Refusal {
  expect(outcome.ok).toBe(false);
  return outcome as Refusal;
}

describe("createResourceServer", () => {
  it("publishes its RFC 9728 metadata under the well-known path of the resource", () => {
    const rs = server();
    expect(rs.metadataUrl).toBe(META);
    expect(rs.metadataPath).toBe("/.well-known/oauth-protected-resource/mcp");
    expect(rs.metadata()).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ["header"],
    });
  });

  it("answers a request without a token 401 with the metadata URL to discover the authorization server", async () => {
    const refusal = refused(await server().authenticate(request()));
    expect(refusal.status).toBe(401);
    expect(refusal.headers["www-authenticate"]).toBe(`Bearer resource_metadata="${META}"`);
  });

  it("yields the grant of a valid bearer token", async () => {
    const token = await accessToken(leash);
    const outcome = await server().authenticate(request({ authorization: `Bearer ${token}` }));
    expect(outcome).toMatchObject({ ok: true, token, grant: { leaseId: "lease-1", taskId: "task-1" } });
  });

  it("refuses a token for another resource 401 invalid_token", async () => {
    const token = await accessToken(leash, { aud: "https://other.example/mcp" });
    const refusal = refused(await server().authenticate(request({ authorization: `Bearer ${token}` })));
    expect(refusal.status).toBe(401);
    expect(refusal.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("refuses a revoked token 401, and every token 503 while revocation is unknown (fail closed)", async () => {
    const auth = { authorization: `Bearer ${await accessToken(leash)}` };
    expect(refused(await server("revoked").authenticate(request(auth))).status).toBe(401);
    const unknown = refused(await server("unknown").authenticate(request(auth)));
    expect(unknown.status).toBe(503);
    expect(unknown.headers["retry-after"]).toBe("1");
  });

  it("checks exp and revocation on every request, also for a token verified earlier", async () => {
    const clock = frozenClock();
    let status: RevocationStatus = "live";
    const rs = server("live", { clock, revocation: { status: () => status } });
    const auth = { authorization: `Bearer ${await accessToken(leash, { exp: NOW_S + 60 })}` };
    expect((await rs.authenticate(request(auth))).ok).toBe(true);
    status = "revoked";
    expect(refused(await rs.authenticate(request(auth))).status).toBe(401);
    status = "live";
    expect((await rs.authenticate(request(auth))).ok).toBe(true);
    clock.advance(60_000);
    expect(refused(await rs.authenticate(request(auth))).status).toBe(401);
  });

  it("refuses malformed Authorization headers", async () => {
    for (const authorization of ["Basic abc", "Bearer", "Bearer a b", "Bearer a\u00e9"]) {
      const refusal = refused(await server().authenticate(request({ authorization })));
      expect(refusal.status, authorization).toBe(401);
    }
  });

  it("answers 403 insufficient_scope naming the scope when the intent does not cover the need", async () => {
    const auth = { authorization: `Bearer ${await accessToken(leash)}` };
    const ok = await server().authenticate(request(auth), { action: "read", resource: "docs/a.md" });
    expect(ok.ok).toBe(true);
    const refusal = refused(
      await server().authenticate(request(auth), { action: "write", resource: "docs/a.md" }),
    );
    expect(refusal.status).toBe(403);
    expect(refusal.headers["www-authenticate"]).toContain('scope="write:docs/a.md"');
  });

  it("is unavailable until started when it has to read the issuer's metadata", async () => {
    const rs = createResourceServer({ resource: RESOURCE, issuer: ISSUER, clock: frozenClock() });
    const auth = { authorization: `Bearer ${await accessToken(leash)}` };
    expect(refused(await rs.authenticate(request(auth))).status).toBe(503);
  });

  describe("DPoP-bound tokens", () => {
    const bound = () => accessToken(leash, { cnf: { jkt: key.jkt } });

    it("accepts a bound token with the DPoP scheme and a proof by its key", async () => {
      const token = await bound();
      const headers = { authorization: `DPoP ${token}`, dpop: await dpopProof(key, token) };
      expect((await server().authenticate(request(headers))).ok).toBe(true);
    });

    it("checks htu against the resource's origin and the request's path, whatever Host said", async () => {
      const token = await bound();
      const headers = { authorization: `DPoP ${token}`, dpop: await dpopProof(key, token) };
      expect((await server().authenticate(request(headers, "http://10.0.0.7:3000/mcp"))).ok).toBe(true);
      const elsewhere = { authorization: `DPoP ${token}`, dpop: await dpopProof(key, token) };
      const refusal = refused(await server().authenticate(request(elsewhere, "http://10.0.0.7:3000/other")));
      expect(refusal.headers["www-authenticate"]).toContain('error="invalid_dpop_proof"');
    });

    it("is useless without its key: as a bearer token, without a proof, or with another key's proof", async () => {
      const token = await bound();
      const asBearer = refused(await server().authenticate(request({ authorization: `Bearer ${token}` })));
      expect(asBearer.status).toBe(401);
      const noProof = refused(await server().authenticate(request({ authorization: `DPoP ${token}` })));
      expect(noProof.headers["www-authenticate"]).toMatch(/^Bearer resource_metadata="[^"]+", DPoP algs="/);
      expect(noProof.headers["www-authenticate"]).toContain('error="invalid_dpop_proof"');
      const thief = await dpopKey();
      const stolen = { authorization: `DPoP ${token}`, dpop: await dpopProof(thief, token) };
      expect(refused(await server().authenticate(request(stolen))).status).toBe(401);
    });

    it("refuses a proof used twice", async () => {
      const rs = server();
      const token = await bound();
      const headers = { authorization: `DPoP ${token}`, dpop: await dpopProof(key, token) };
      expect((await rs.authenticate(request(headers))).ok).toBe(true);
      expect(refused(await rs.authenticate(request(headers))).status).toBe(401);
    });

    it("refuses an unbound token under the DPoP scheme, and any unbound token when DPoP is required", async () => {
      const token = await accessToken(leash);
      const headers = { authorization: `DPoP ${token}`, dpop: await dpopProof(key, token) };
      expect(refused(await server().authenticate(request(headers))).status).toBe(401);
      const strict = server("live", { dpop: { required: true } });
      expect(refused(await strict.authenticate(request({ authorization: `Bearer ${token}` }))).status).toBe(
        401,
      );
    });
  });

  it("starts from the issuer's metadata, its JWKS and its revocation feed, and refuses what the feed lists", async () => {
    const clock = frozenClock();
    const served: string[] = [];
    let revoked: { jti: string; exp: number }[] = [];
    const fetchFn = (async (input: URL | string) => {
      const url = String(input);
      served.push(new URL(url).pathname);
      if (url === `${ISSUER}/.well-known/oauth-authorization-server`)
        return Response.json({
          issuer: ISSUER,
          jwks_uri: `${ISSUER}/.well-known/jwks.json`,
          leash_revoked_tokens_endpoint: `${ISSUER}/oauth/revoked`,
        });
      if (url === `${ISSUER}/.well-known/jwks.json`) return Response.json({ keys: [leash.jwk] });
      if (url.startsWith(`${ISSUER}/oauth/revoked`)) {
        const page = { revoked, cursor: "c", has_more: false };
        revoked = [];
        return Response.json(page);
      }
      return new Response("not found", { status: 404 });
    }) as typeof fetch;
    const rs = createResourceServer({ resource: RESOURCE, issuer: ISSUER, clock, fetch: fetchFn });
    await rs.start(AbortSignal.timeout(5_000));
    try {
      const auth = { authorization: `Bearer ${await accessToken(leash)}` };
      expect((await rs.authenticate(request(auth))).ok).toBe(true);
      revoked = [{ jti: "lease-1", exp: NOW_S + 300 }];
      await until(async () => !(await rs.authenticate(request(auth))).ok);
      expect(refused(await rs.authenticate(request(auth))).headers["www-authenticate"]).toContain(
        "invalid_token",
      );
      expect(served).toContain("/.well-known/jwks.json");
    } finally {
      rs.close();
    }
  });
});
