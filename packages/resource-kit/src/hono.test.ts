import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { type LeashVariables, leashAuth, protectedResourceMetadata } from "./hono.js";
import { protect } from "./protect.js";
import { createResourceServer } from "./resource-server.js";
import { accessToken, frozenClock, ISSUER, keysOf, RESOURCE, type Signer, signer } from "./testing/tokens.js";

let leash: Signer;
beforeAll(async () => {
  leash = await signer();
});

const rs = () =>
  createResourceServer({
    resource: "https://tools.example/api",
    issuer: ISSUER,
    keys: keysOf(leash),
    revocation: { status: () => "live" },
    clock: frozenClock(),
  });
const token = () => accessToken(leash, { aud: "https://tools.example/api" });

describe("leashAuth (Hono)", () => {
  function app() {
    const server = rs();
    const hono = new Hono<{ Variables: LeashVariables }>();
    hono.get(server.metadataPath, protectedResourceMetadata(server));
    hono.use(
      "/api/*",
      leashAuth(server, { need: (c) => ({ action: "read", resource: c.req.path.slice("/api/".length) }) }),
    );
    hono.get("/api/*", (c) => c.json({ agent: c.get("leash").agent, task: c.get("leash").taskId }));
    return hono;
  }

  it("serves the metadata without a token", async () => {
    const res = await app().request("https://tools.example/.well-known/oauth-protected-resource/api");
    expect(await res.json()).toMatchObject({ resource: "https://tools.example/api" });
  });

  it("hands the grant to the route when the token's intent covers the path", async () => {
    const res = await app().request("/api/docs/a.md", {
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ agent: "spiffe://example.org/agent/a", task: "task-1" });
  });

  it("answers 401 with the challenge without a token and 403 outside the intent", async () => {
    const none = await app().request("/api/docs/a.md");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("resource_metadata=");
    const outside = await app().request("/api/secrets/k", {
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(outside.status).toBe(403);
    expect(outside.headers.get("www-authenticate")).toContain('scope="read:secrets/k"');
  });
});

describe("protect (framework-free)", () => {
  const handler = () =>
    protect(rs(), (_request, grant) => Response.json({ lease: grant.leaseId }), {
      need: () => ({ action: "read", resource: "docs/a.md" }),
    });

  it("serves the metadata, refuses without a token and calls the handler with the grant", async () => {
    const h = handler();
    const meta = await h(new Request("https://tools.example/.well-known/oauth-protected-resource/api"));
    expect(((await meta.json()) as { authorization_servers: string[] }).authorization_servers).toEqual([
      ISSUER,
    ]);
    expect((await h(new Request("https://tools.example/api"))).status).toBe(401);
    const ok = await h(
      new Request("https://tools.example/api", { headers: { authorization: `Bearer ${await token()}` } }),
    );
    expect(await ok.json()).toEqual({ lease: "lease-1" });
  });

  it("refuses a token issued for another resource", async () => {
    const other = await accessToken(leash, { aud: RESOURCE });
    const res = await handler()(
      new Request("https://tools.example/api", { headers: { authorization: `Bearer ${other}` } }),
    );
    expect(res.status).toBe(401);
  });
});
