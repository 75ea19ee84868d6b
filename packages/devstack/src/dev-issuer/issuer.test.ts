import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { createDevIssuer, mintDevToken } from "./issuer.js";
import { devTrustConfig } from "./trust-config.js";

const dir = mkdtempSync(join(tmpdir(), "leash-dev-issuer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ISSUER = "http://127.0.0.1:4100";

describe("dev issuer keys", () => {
  it("writes a generated key readable by its owner only, and reuses it on the next start", async () => {
    const keyFile = join(dir, "nested", "issuer-key.json");
    const first = await createDevIssuer({ keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const second = await createDevIssuer({ keyFile });
    expect(second.kid).toBe(first.kid);
    expect(second.jwks()).toEqual(first.jwks());
  });

  it("publishes only the public half of its key", async () => {
    const [key] = (await createDevIssuer()).jwks().keys;
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(key).not.toHaveProperty("d");
  });

  it("refuses a key file that is not an ES256 private JWK without quoting its content", async () => {
    const keyFile = join(dir, "bad.json");
    writeFileSync(
      keyFile,
      JSON.stringify({ kty: "EC", crv: "P-384", d: "SECRET-D", x: "a", y: "b", kid: "k" }),
    );
    const failure = createDevIssuer({ keyFile });
    await expect(failure).rejects.toThrow(
      `dev issuer key file ${keyFile} is not an ES256 private JWK (check: crv)`,
    );
    await expect(createDevIssuer({ keyFile })).rejects.not.toThrow("SECRET");
  });
});

describe("minting", () => {
  it("sets iss, kid, sub, the default audience leash and a default lifetime of one hour", async () => {
    const issuer = await createDevIssuer({ issuerUrl: ISSUER });
    const token = await issuer.mint({
      sub: "spiffe://dev.local/agent/a1",
      extra: { iss: "https://evil", team: "x" },
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "ES256", kid: issuer.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), {
      issuer: ISSUER,
      audience: "leash",
    });
    expect(payload).toMatchObject({ sub: "spiffe://dev.local/agent/a1", team: "x" });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3_600);
  });

  it("honours a chosen audience and lifetime", async () => {
    const issuer = await createDevIssuer({ issuerUrl: ISSUER });
    const token = await issuer.mint({ sub: "s", aud: ["tools", "leash"], ttlSeconds: 60 });
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()));
    expect(payload.aud).toEqual(["tools", "leash"]);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
  });

  it("refuses to mint before it knows its URL, and to be bound to a second URL", async () => {
    const issuer = await createDevIssuer();
    await expect(issuer.mint({ sub: "s" })).rejects.toThrow("dev issuer has no URL yet");
    issuer.bindIssuerUrl(ISSUER);
    expect(() => issuer.bindIssuerUrl("http://127.0.0.1:1")).toThrow("already bound");
  });

  it("mints from a key file and URL alone, and never creates a missing key file", async () => {
    const keyFile = join(dir, "cli-key.json");
    const issuer = await createDevIssuer({ keyFile, issuerUrl: ISSUER });
    const token = await mintDevToken({
      keyFile,
      issuerUrl: ISSUER,
      sub: "spiffe://dev.local/orchestrator",
      ttlSeconds: 120,
    });
    await expect(
      jwtVerify(token, createLocalJWKSet(issuer.jwks()), { issuer: ISSUER }),
    ).resolves.toBeDefined();

    const missing = join(dir, "missing-key.json");
    await expect(mintDevToken({ keyFile: missing, issuerUrl: ISSUER, sub: "s" })).rejects.toThrow("ENOENT");
    expect(existsSync(missing)).toBe(false);
  });
});

describe("devTrustConfig", () => {
  it("trusts the dev issuer for its own trust domain and maps the three roles", () => {
    expect(devTrustConfig({ issuerUrl: ISSUER, jwksUri: `${ISSUER}/jwks.json` })).toEqual({
      audience: "leash",
      issuers: [
        {
          issuer: ISSUER,
          jwks_uri: `${ISSUER}/jwks.json`,
          algorithms: ["ES256"],
          subject_prefixes: ["spiffe://dev.local/"],
        },
      ],
      roles: {
        orchestrator: ["spiffe://dev.local/orchestrator"],
        security: ["spiffe://dev.local/security/"],
        agent: ["spiffe://dev.local/agent/"],
      },
    });
    const other = devTrustConfig({
      issuerUrl: ISSUER,
      jwksUri: `${ISSUER}/jwks.json`,
      trustDomain: "acme.test",
    });
    expect(other.roles.agent).toEqual(["spiffe://acme.test/agent/"]);
  });
});
