import { join } from "node:path";
import {
  createDevIssuer,
  type DevIssuer,
  type DevIssuerServer,
  devTrustConfig,
  mintDevToken,
  startDevIssuerServer,
} from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrustConfig } from "./config.js";
import { tempDir } from "./testing/keys.js";
import { type ClosableIdentityVerifier, createIdentityVerifier } from "./verifier.js";

const { dir, remove } = tempDir();
const keyFile = join(dir, "dev-issuer-key.json");
let issuer: DevIssuer;
let server: DevIssuerServer;
let verifier: ClosableIdentityVerifier;

beforeAll(async () => {
  issuer = await createDevIssuer({ keyFile });
  server = await startDevIssuerServer(issuer);
  const trust = parseTrustConfig(
    devTrustConfig({ issuerUrl: server.issuerUrl, jwksUri: server.jwksUri }),
    dir,
  );
  verifier = createIdentityVerifier(trust);
});

afterAll(async () => {
  await verifier?.close();
  await server?.stop();
  await server?.stop();
  remove();
});

describe("dev issuer over HTTP", () => {
  it("serves its discovery document and JWKS on 127.0.0.1 with the server's URL as issuer", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({ issuer: server.issuerUrl, jwks_uri: `${server.url}/jwks.json` });
    expect(await (await fetch(server.jwksUri)).json()).toEqual(issuer.jwks());
  });

  it("mints tokens the verifier accepts with the roles of the dev trust configuration", async () => {
    const agent = await verifier.verify(await issuer.mint({ sub: "spiffe://dev.local/agent/a1" }));
    expect(agent).toMatchObject({ issuer: server.issuerUrl, roles: new Set(["agent"]) });
    const orchestrator = await verifier.verify(await issuer.mint({ sub: "spiffe://dev.local/orchestrator" }));
    expect(orchestrator.roles).toEqual(new Set(["orchestrator"]));
  });

  it("lets another process mint trusted tokens from the key file and issuer URL", async () => {
    const token = await mintDevToken({
      keyFile,
      issuerUrl: server.issuerUrl,
      sub: "spiffe://dev.local/security/alice",
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ roles: new Set(["security"]) });
  });

  it("cannot assert subjects outside its trust domain or for another audience", async () => {
    await expect(
      verifier.verify(await issuer.mint({ sub: "spiffe://example.org/orchestrator" })),
    ).rejects.toThrow("may not assert subject");
    await expect(
      verifier.verify(await issuer.mint({ sub: "spiffe://dev.local/agent/a", aud: "tools" })),
    ).rejects.toThrow("audience must include leash");
  });
});
