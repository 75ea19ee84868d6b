import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { DPOP_ALGORITHMS, InvalidDpopProof, verifyDpopProof } from "./dpop.js";
import { memoryReplayCache } from "./replay-cache.js";
import { type DpopKey, dpopKey, dpopProof, frozenClock, NOW_S, RESOURCE } from "./testing/tokens.js";

const TOKEN = "header.payload.signature";
let key: DpopKey;
let stranger: DpopKey;
beforeAll(async () => {
  key = await dpopKey();
  stranger = await dpopKey();
});

const options = (clock = frozenClock()) => ({
  algorithms: DPOP_ALGORITHMS,
  maxAgeSeconds: 60,
  clockSkewSeconds: 5,
  replay: memoryReplayCache(),
  clock,
});

const request = (proof: string, overrides: Partial<{ method: string; url: string; jkt: string }> = {}) => ({
  proof,
  method: "POST",
  url: RESOURCE,
  accessToken: TOKEN,
  jkt: key.jkt,
  ...overrides,
});

async function reason(promise: Promise<void>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidDpopProof);
  return (error as Error).message;
}

describe("verifyDpopProof", () => {
  it("accepts a proof by the bound key for this method, URL and token", async () => {
    await expect(verifyDpopProof(request(await dpopProof(key, TOKEN)), options())).resolves.toBeUndefined();
  });

  it("compares htu without query or fragment and after URL normalisation", async () => {
    const proof = await dpopProof(key, TOKEN, { htu: "HTTPS://TOOLS.EXAMPLE:443/mcp?x=1#f" });
    await expect(verifyDpopProof(request(proof), options())).resolves.toBeUndefined();
  });

  it("refuses a replayed proof within the window", async () => {
    const opts = options();
    const proof = await dpopProof(key, TOKEN);
    await verifyDpopProof(request(proof), opts);
    expect(await reason(verifyDpopProof(request(proof), opts))).toMatch(/used already/);
  });

  it("refuses a proof signed by a key other than the token's cnf.jkt", async () => {
    expect(await reason(verifyDpopProof(request(await dpopProof(stranger, TOKEN)), options()))).toMatch(
      /another key/,
    );
  });

  it("refuses wrong htm, wrong htu, another token's ath, no ath", async () => {
    const opts = options();
    expect(await reason(verifyDpopProof(request(await dpopProof(key, TOKEN, { htm: "GET" })), opts))).toMatch(
      /another method/,
    );
    const otherUrl = await dpopProof(key, TOKEN, { htu: "https://tools.example/other" });
    expect(await reason(verifyDpopProof(request(otherUrl), opts))).toMatch(/another URL/);
    expect(await reason(verifyDpopProof(request(await dpopProof(key, "other.token.x")), opts))).toMatch(
      /another access token/,
    );
    expect(await reason(verifyDpopProof(request(await dpopProof(key, undefined)), opts))).toMatch(
      /another access token/,
    );
  });

  it("refuses a stale proof and one from too far in the future", async () => {
    const stale = await dpopProof(key, TOKEN, { iat: NOW_S - 61 });
    expect(await reason(verifyDpopProof(request(stale), options()))).toMatch(/acceptance window/);
    const future = await dpopProof(key, TOKEN, { iat: NOW_S + 6 });
    expect(await reason(verifyDpopProof(request(future), options()))).toMatch(/acceptance window/);
  });

  it("refuses another typ, alg none, an HMAC proof and a private key in the header", async () => {
    const opts = options();
    const typ = await dpopProof(key, TOKEN, {}, { typ: "JWT" });
    expect(await reason(verifyDpopProof(request(typ), opts))).toMatch(/does not verify/);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const none = `${b64({ alg: "none", typ: "dpop+jwt", jwk: key.publicJwk })}.${b64({ jti: "n", htm: "POST", htu: RESOURCE, iat: NOW_S })}.`;
    expect(await reason(verifyDpopProof(request(none), opts))).toMatch(/does not verify/);
    const secret = new TextEncoder().encode("s".repeat(32));
    const hmacHeader = { alg: "HS256", typ: "dpop+jwt", jwk: { kty: "oct", k: "c2VjcmV0" } };
    const hmac = await new SignJWT({ jti: "h", htm: "POST", htu: RESOURCE, iat: NOW_S })
      .setProtectedHeader(hmacHeader as unknown as { alg: string })
      .sign(secret);
    expect(await reason(verifyDpopProof(request(hmac), opts))).toMatch(/does not verify/);
    const { exportJWK } = await import("jose");
    const privateJwk = await exportJWK(key.privateKey);
    const leaky = await dpopProof(key, TOKEN, {}, { jwk: privateJwk });
    expect(await reason(verifyDpopProof(request(leaky), opts))).toMatch(/does not verify/);
  });

  it("refuses several proofs in one header", async () => {
    const proof = await dpopProof(key, TOKEN);
    expect(await reason(verifyDpopProof(request(`${proof}, ${proof}`), options()))).toMatch(/exactly one/);
  });

  it("does not burn a jti on a proof that fails another check", async () => {
    const opts = options();
    const jti = "shared-jti";
    const wrong = await dpopProof(key, TOKEN, { jti, htm: "GET" });
    await reason(verifyDpopProof(request(wrong), opts));
    await expect(
      verifyDpopProof(request(await dpopProof(key, TOKEN, { jti })), opts),
    ).resolves.toBeUndefined();
  });
});
