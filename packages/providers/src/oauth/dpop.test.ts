import type { DpopReplayCache } from "@leash/core";
import { OAuthError } from "@leash/core";
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { checkDpopProof, type DpopCheck, type DpopDeps } from "./dpop.js";

const URL_ = "https://leash.example/oauth/token";
const NOW = Date.UTC(2030, 0, 1);
const clock = { now: () => NOW };
const s = (ms: number) => Math.floor(ms / 1000);

class MemoryReplay implements DpopReplayCache {
  readonly seen = new Map<string, number>();
  async firstUse(key: string, until: number) {
    if (this.seen.has(key)) return false;
    this.seen.set(key, until);
    return true;
  }
}

/** What the token endpoint does for an authenticated caller: check, then spend. */
async function verifyDpopProof(deps: DpopDeps, token: string, check: DpopCheck): Promise<string> {
  const checked = await checkDpopProof(deps, token, check);
  await checked.spend();
  return checked.jkt;
}

let key: { privateKey: CryptoKey; publicKey: CryptoKey };
let jwk: JWK;
beforeAll(async () => {
  key = await generateKeyPair("ES256", { extractable: true });
  jwk = await exportJWK(key.publicKey);
});

let counter = 0;
async function proof(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  signWith: CryptoKey | Uint8Array = key.privateKey,
  alg = "ES256",
) {
  return new SignJWT({ jti: `p-${++counter}`, htm: "POST", htu: URL_, iat: s(NOW), ...claims })
    .setProtectedHeader({ alg, typ: "dpop+jwt", jwk, ...header })
    .sign(signWith);
}

async function refusal(replay: DpopReplayCache, token: string, check = { method: "POST", url: URL_ }) {
  try {
    await verifyDpopProof({ replay, clock }, token, check);
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error("expected invalid_dpop_proof");
}

describe("DPoP proofs at the token endpoint (RFC 9449 §4.3)", () => {
  it("accept a fresh proof for this method and URL, returning the key's thumbprint", async () => {
    const jkt = await verifyDpopProof({ replay: new MemoryReplay(), clock }, await proof(), {
      method: "POST",
      url: URL_,
    });
    expect(jkt).toBe(await calculateJwkThumbprint(jwk, "sha256"));
  });

  it("ignore query and fragment of htu, and compare scheme and host as URLs do", async () => {
    const replay = new MemoryReplay();
    for (const htu of [`${URL_}?x=1`, `${URL_}#f`, "HTTPS://LEASH.example:443/oauth/token"]) {
      await expect(
        verifyDpopProof({ replay, clock }, await proof({ htu }), { method: "POST", url: URL_ }),
      ).resolves.toBeTruthy();
    }
  });

  it("record nothing until the proof is spent", async () => {
    const replay = new MemoryReplay();
    const checked = await checkDpopProof({ replay, clock }, await proof(), { method: "POST", url: URL_ });
    expect(replay.seen.size).toBe(0);
    await checked.spend();
    expect(replay.seen.size).toBe(1);
    await expect(checked.spend()).rejects.toThrow(/used before/);
  });

  it("refuse a replayed proof, for as long as it could be accepted", async () => {
    const replay = new MemoryReplay();
    const once = await proof();
    await verifyDpopProof({ replay, clock }, once, { method: "POST", url: URL_ });
    expect((await refusal(replay, once)).description).toContain("used before");
    const [until] = replay.seen.values();
    expect(until).toBeGreaterThanOrEqual(NOW + 65_000);
    expect(until).toBeLessThanOrEqual(NOW + 70_000);
  });

  it.each([
    ["another method", { htm: "GET" }, "another method"],
    ["another URL", { htu: "https://leash.example/oauth/revoke" }, "another URL"],
    ["another host", { htu: "https://evil.example/oauth/token" }, "another URL"],
    ["an htu that is not a URL", { htu: "token" }, "another URL"],
    ["a stale iat", { iat: s(NOW) - 66 }, "not fresh"],
    ["an iat in the future", { iat: s(NOW) + 10 }, "not fresh"],
    ["no jti", { jti: undefined }, "jti"],
    ["no htm", { htm: undefined }, "htm"],
    ["no iat", { iat: undefined }, "iat"],
  ])("refuse %s", async (_, claims, why) => {
    const error = await refusal(new MemoryReplay(), await proof(claims));
    expect(error).toMatchObject({ code: "invalid_dpop_proof", status: 400 });
    expect(error.description).toContain(why);
  });

  it("refuse another typ, a missing jwk, and a private key in the jwk header", async () => {
    const replay = new MemoryReplay();
    expect((await refusal(replay, await proof({}, { typ: "JWT" }))).description).toContain("typ");
    expect((await refusal(replay, await proof({}, { jwk: undefined }))).code).toBe("invalid_dpop_proof");
    const privateJwk = await exportJWK(key.privateKey);
    expect((await refusal(replay, await proof({}, { jwk: privateJwk }))).code).toBe("invalid_dpop_proof");
  });

  it("refuse a proof signed by another key than the jwk header's", async () => {
    const other = await generateKeyPair("ES256");
    const error = await refusal(new MemoryReplay(), await proof({}, {}, other.privateKey));
    expect(error.description).toContain("signature");
  });

  it("refuse alg none and HMAC proofs, whatever they claim", async () => {
    const body = base64url.encode(JSON.stringify({ jti: "n", htm: "POST", htu: URL_, iat: s(NOW) }));
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "dpop+jwt", jwk }))}.${body}.`;
    expect((await refusal(new MemoryReplay(), none)).code).toBe("invalid_dpop_proof");
    const secret = new TextEncoder().encode("x".repeat(32));
    const hmac = await proof({}, { jwk: { kty: "oct", k: base64url.encode(secret) } }, secret, "HS256");
    expect((await refusal(new MemoryReplay(), hmac)).description).toContain("asymmetric");
    const hmacWithEcJwk = await proof({}, {}, secret, "HS256");
    expect((await refusal(new MemoryReplay(), hmacWithEcJwk)).description).toContain("asymmetric");
  });

  it("refuse what is not a JWS at all, without quoting it", async () => {
    const error = await refusal(new MemoryReplay(), "not-a-proof");
    expect(error.description).not.toContain("not-a-proof");
  });
});
