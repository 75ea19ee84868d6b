import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { calculateJwkThumbprint, exportJWK } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";

/**
 * A standards OAuth client library (oauth4webapi), not Leash's SDK, against `pnpm start`: it discovers the
 * authorization server (RFC 8414, checking `issuer`), exchanges a workload JWT for an access token (RFC 8693), gets
 * one with client credentials and the workload JWT as client assertion (RFC 7523), binds one to a DPoP key (RFC
 * 9449), introspects and revokes (RFC 7662, RFC 7009), and a resource server validates the tokens with the same
 * library's RFC 9068 validation. The only Leash-specific part is what any OAuth client is configured with: the
 * parameters (resource, scope) and how the client authenticates (its workload JWT as a ready-made assertion).
 */
const AGENT = agentId("oauth-client");
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let stack: Stack;
let as: oauth.AuthorizationServer;
let resourceServer: Server;
let resource: string;
/** The last request the resource server saw, as a WHATWG Request (what validateJwtAccessToken takes). */
let seen: (() => Promise<oauth.JWTAccessTokenClaims>) | undefined;
const client: oauth.Client = { client_id: AGENT };

/** RFC 7523: the workload JWT is the client assertion; the client signs nothing itself. */
const workloadAssertion =
  (assertion: string): oauth.ClientAuth =>
  (_as, _client, body) => {
    body.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    body.set("client_assertion", assertion);
  };

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
  // A resource server that validates what it receives with oauth4webapi's RFC 9068 (and DPoP) checks.
  resourceServer = createServer((req, res) => {
    const request = new Request(`${resource}${req.url === "/" ? "" : req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])),
    });
    seen = () => oauth.validateJwtAccessToken(as, request, resource, insecure);
    res.end("ok");
  });
  await new Promise<void>((resolve) => resourceServer.listen(0, "127.0.0.1", resolve));
  resource = `http://127.0.0.1:${(resourceServer.address() as AddressInfo).port}/`;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => resourceServer?.close(resolve));
  await stack?.stop();
});

async function newTask(): Promise<string> {
  const res = await stack.call("POST", "/v1/tasks", await stack.token(ORCHESTRATOR), {
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Token exchange (RFC 8693) of the agent's workload JWT, through the library, for `resource` unless told otherwise. */
async function exchange(taskId: string, options: { dpop?: oauth.DPoPHandle; resource?: string | null } = {}) {
  const parameters: Record<string, string> = {
    subject_token: await stack.token(AGENT),
    subject_token_type: JWT_TYPE,
    scope: `task:${taskId} read:docs/a.md`,
  };
  if (options.resource !== null) parameters.resource = options.resource ?? resource;
  const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), EXCHANGE, parameters, {
    ...insecure,
    ...(options.dpop ? { DPoP: options.dpop } : {}),
  });
  return oauth.processGenericTokenEndpointResponse(as, client, response);
}

/** Presents the token to the resource server and returns what its validation made of it. */
async function atResource(token: oauth.TokenEndpointResponse, dpop?: oauth.DPoPHandle) {
  const res = await oauth.protectedResourceRequest(
    token.access_token,
    "GET",
    new URL(resource),
    undefined,
    undefined,
    {
      ...insecure,
      ...(dpop ? { DPoP: dpop } : {}),
    },
  );
  expect(res.status).toBe(200);
  if (!seen) throw new Error("the resource server saw nothing");
  return seen();
}

describe("a standards OAuth client against Leash", () => {
  it("discovers the authorization server and checks its issuer", async () => {
    const issuer = new URL(stack.api);
    const response = await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure });
    as = await oauth.processDiscoveryResponse(issuer, response);
    expect(as).toMatchObject({
      issuer: stack.api,
      token_endpoint: `${stack.api}/oauth/token`,
      jwks_uri: `${stack.api}/.well-known/jwks.json`,
      grant_types_supported: [EXCHANGE, "client_credentials"],
    });
    // Metadata claiming another issuer than the one asked about is refused (RFC 8414 §3.3).
    const again = await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure });
    await expect(oauth.processDiscoveryResponse(new URL("http://127.0.0.1:1"), again)).rejects.toThrow();
  });

  it("exchanges the workload JWT for an access token the resource server validates (RFC 8693, RFC 9068)", async () => {
    const taskId = await newTask();
    const token = await exchange(taskId);
    expect(token).toMatchObject({ token_type: "bearer", scope: `task:${taskId} read:docs/a.md` });
    expect(token.issued_token_type).toBe("urn:ietf:params:oauth:token-type:access_token");
    expect(await atResource(token)).toMatchObject({
      sub: AGENT,
      client_id: AGENT,
      aud: resource,
      task_id: taskId,
    });
  });

  it("gets a token with client credentials, the workload JWT as client assertion (RFC 7523)", async () => {
    const taskId = await newTask();
    const assertion = await stack.issuer.mint({ sub: AGENT, aud: as.issuer, ttlSeconds: 300 });
    const details = [{ type: "leash_intent", task_id: taskId, action: "read", resource: "docs/b.md" }];
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      workloadAssertion(assertion),
      { resource, authorization_details: JSON.stringify(details) },
      insecure,
    );
    const token = await oauth.processClientCredentialsResponse(as, client, response);
    expect(token.authorization_details).toEqual(details);
    expect((await atResource(token)).authorization_details).toEqual(details);
  });

  it("binds a token to a DPoP key; the resource server checks the proof against cnf.jkt (RFC 9449)", async () => {
    const taskId = await newTask();
    const keys = await oauth.generateKeyPair("ES256");
    const dpop = oauth.DPoP(client, keys);
    const token = await exchange(taskId, { dpop });
    expect(token.token_type).toBe("dpop");
    const claims = await atResource(token, dpop);
    expect(claims.cnf).toEqual({ jkt: await calculateJwkThumbprint(await exportJWK(keys.publicKey)) });
    // Without its key, the token is refused by the same validation.
    await expect(atResource(token)).rejects.toThrow();
  });

  it("introspects and revokes with the workload JWT as client assertion (RFC 7662, RFC 7009)", async () => {
    const taskId = await newTask();
    const token = await exchange(taskId);
    const auth = workloadAssertion(await stack.issuer.mint({ sub: AGENT, aud: as.issuer, ttlSeconds: 300 }));
    const introspect = async () =>
      oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, auth, token.access_token, insecure),
      );
    expect(await introspect()).toMatchObject({
      active: true,
      client_id: AGENT,
      aud: resource,
      token_type: "Bearer",
    });
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, token.access_token, insecure),
    );
    expect(await introspect()).toEqual({ active: false });
  });

  it("surfaces Leash's refusals as RFC 6749 errors the library understands", async () => {
    const taskId = await newTask();
    const error = await exchange(taskId, { resource: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe("invalid_target");
  });
});
