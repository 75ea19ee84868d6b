import { randomUUID } from "node:crypto";
import { StaticPrivateKeyJwtProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DocsServer, startDocsServer } from "../../apps/examples/src/docs-server.js";
import { agentId, ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";

/**
 * MCP servers protected by Leash, as clients that no one here wrote meet them: the official MCP SDK client, given
 * only the server's URL and the agent's workload JWT (as its RFC 7523 client assertion), finds Leash through the
 * server's RFC 9728 metadata, gets a token for that server and calls its tools; the task's end cuts it off within
 * 1 s; a token for one server is refused by another; a DPoP-bound token (from oauth4webapi) is useless without its
 * key. The servers are apps/examples' docs server: the resource kit over the SDK's own MCP server.
 */
const AGENT = agentId("mcp-e2e");
let stack: Stack;
let docs: DocsServer;
let wiki: DocsServer;
const kitErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
  const onError = (error: Error) => kitErrors.push(error.message);
  docs = await startDocsServer({ leashUrl: stack.api, name: "docs", onError });
  wiki = await startDocsServer({ leashUrl: stack.api, name: "wiki", onError });
}, 120_000);
afterAll(async () => {
  await docs?.close();
  await wiki?.close();
  await stack?.stop();
});

async function newTask(): Promise<string> {
  const id = `mcp-e2e-${randomUUID()}`;
  const res = await stack.call("POST", "/v1/tasks", await stack.token(ORCHESTRATOR), {
    id,
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  expect(res.status).toBe(201);
  return id;
}

/** The agent's workload JWT as its platform hands it over, for Leash's token endpoint (5 minutes, like an SVID). */
const workloadJwt = () => stack.issuer.mint({ sub: AGENT, aud: `${stack.api}/oauth/token`, ttlSeconds: 300 });

/** An MCP client as any agent builds one: the SDK's client and its private_key_jwt client-credentials provider. */
async function agent(url: string, task: string) {
  const authProvider = new StaticPrivateKeyJwtProvider({
    clientId: AGENT,
    jwtBearerAssertion: await workloadJwt(),
    scope: `task:${task} read:docs/`,
    expectedIssuer: stack.api,
  });
  const requested: string[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    authProvider,
    fetch: (input, init) => {
      requested.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    },
  });
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(transport);
  return { client, authProvider, requested };
}

const text = (result: unknown) =>
  ((result as { content?: { text?: string }[] }).content ?? [])[0]?.text ?? "";

describe("an MCP server protected by Leash, with the official MCP SDK client", () => {
  it("discovers Leash, authenticates with the workload JWT and calls tools that see agent, task and intent", async () => {
    const task = await newTask();
    const { client, requested } = await agent(docs.url, task);
    expect(requested.slice(0, 4)).toEqual([
      "POST /docs/mcp",
      "GET /.well-known/oauth-protected-resource/docs/mcp",
      "GET /.well-known/oauth-authorization-server",
      "POST /oauth/token",
    ]);
    const who = await client.callTool({ name: "whoami", arguments: {} });
    expect(who.structuredContent).toMatchObject({
      agent: AGENT,
      task_id: task,
      intent: { action: "read", resource: "docs/" },
    });
    const read = await client.callTool({ name: "read_doc", arguments: { path: "docs/readme.md" } });
    expect(read.isError).toBeFalsy();
    expect(text(read)).toContain("# Demo");
    const outside = await client.callTool({ name: "read_doc", arguments: { path: "secrets/key" } });
    expect(outside.isError).toBe(true);
    await client.close();
  });

  it("fails the next call within 1 s of the task's completion", async () => {
    const task = await newTask();
    const { client } = await agent(docs.url, task);
    expect((await client.callTool({ name: "whoami", arguments: {} })).isError).toBeFalsy();
    const completed = await stack.call("POST", `/v1/tasks/${task}/complete`, await stack.token(ORCHESTRATOR));
    expect(completed.status).toBe(202);
    const endedAt = performance.now();
    let failure: unknown;
    while (performance.now() - endedAt < 3_000) {
      failure = await client.callTool({ name: "whoami", arguments: {} }).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (failure) break;
    }
    const elapsed = performance.now() - endedAt;
    expect(failure, "a call after the task ended still succeeded").toBeDefined();
    expect(elapsed).toBeLessThan(1_000);
    await client.close().catch(() => {});
  });

  it("refuses at one server a token issued for another (audience)", async () => {
    const task = await newTask();
    const { client, authProvider } = await agent(docs.url, task);
    const token = authProvider.tokens()?.access_token;
    expect(token).toBeTruthy();
    const res = await fetch(wiki.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(res.headers.get("www-authenticate")).toContain("/.well-known/oauth-protected-resource/wiki/mcp");
    await client.close();
  });
});

describe("Leash's own /mcp, with the official MCP SDK client", () => {
  it("asks for, lists and returns a credential with a token for /mcp that names only the task", async () => {
    const task = await newTask();
    const authProvider = new StaticPrivateKeyJwtProvider({
      clientId: AGENT,
      jwtBearerAssertion: await workloadJwt(),
      scope: `task:${task}`,
      expectedIssuer: stack.api,
    });
    const client = new Client({ name: "e2e-agent", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.api}/mcp`), { authProvider }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "list_leases",
      "request_credential",
      "return_credential",
    ]);
    const issued = await client.callTool({
      name: "request_credential",
      arguments: { intent: { action: "read", resource: "docs/a.md" } },
    });
    const lease = issued.structuredContent as {
      lease_id: string;
      task_id: string;
      credential: { token: string };
    };
    expect(lease).toMatchObject({ task_id: task, provider: "leash-jwt", state: "active" });
    const denied = await client.callTool({
      name: "request_credential",
      arguments: { intent: { action: "delete", resource: "docs/a.md" } },
    });
    expect(denied).toMatchObject({ isError: true, structuredContent: { status: 403 } });
    const listed = await client.callTool({ name: "list_leases", arguments: { state: "active" } });
    const ids = (listed.structuredContent as { items: { lease_id: string }[] }).items.map((i) => i.lease_id);
    expect(ids).toContain(lease.lease_id);
    await client.callTool({ name: "return_credential", arguments: { lease_id: lease.lease_id } });
    const introspected = await stack.call("POST", "/v1/introspect", await stack.token(AGENT), {
      token: lease.credential.token,
    });
    expect(await introspected.json()).toEqual({ active: false });
    await client.close();
  });
});

describe("a DPoP-bound token (RFC 9449), from a standards OAuth client", () => {
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const client: oauth.Client = { client_id: AGENT };
  /** RFC 7523 client authentication with the workload JWT as it is (oauth4webapi would sign one of its own). */
  const workloadAssertion: oauth.ClientAuth = async (_as, _client, body) => {
    body.set("client_id", AGENT);
    body.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    body.set("client_assertion", await workloadJwt());
  };
  const initialize = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "dpop", version: "1" } },
  });
  const mcpHeaders = () =>
    new Headers({ "content-type": "application/json", accept: "application/json, text/event-stream" });

  async function challengeOf(
    request: Promise<Response>,
  ): Promise<{ status: number; error: string | undefined }> {
    const error = await request.then(
      (response) => response,
      (e: unknown) => e,
    );
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const dpop = error.cause.find((c) => c.scheme === "dpop" && c.parameters.error);
      const bearer = error.cause.find((c) => c.scheme === "bearer" && c.parameters.error);
      return { status: error.response.status, error: (dpop ?? bearer)?.parameters.error };
    }
    if (error instanceof Response) return { status: error.status, error: undefined };
    throw error;
  }

  it("works only with proofs by its key", async () => {
    const task = await newTask();
    const as = await oauth.processDiscoveryResponse(
      new URL(stack.api),
      await oauth.discoveryRequest(new URL(stack.api), { algorithm: "oauth2", ...insecure }),
    );
    const key = await oauth.generateKeyPair("ES256");
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      workloadAssertion,
      { resource: docs.url, scope: `task:${task} read:docs/` },
      { DPoP: oauth.DPoP(client, key), ...insecure },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect(tokens.token_type).toBe("dpop");
    const url = new URL(docs.url);

    const asBearer = await fetch(url, {
      method: "POST",
      headers: { ...Object.fromEntries(mcpHeaders()), authorization: `Bearer ${tokens.access_token}` },
      body: initialize,
    });
    expect(asBearer.status).toBe(401);
    const noProof = await fetch(url, {
      method: "POST",
      headers: { ...Object.fromEntries(mcpHeaders()), authorization: `DPoP ${tokens.access_token}` },
      body: initialize,
    });
    expect(noProof.status).toBe(401);
    expect(noProof.headers.get("www-authenticate")).toContain('error="invalid_dpop_proof"');

    const thief = oauth.DPoP(client, await oauth.generateKeyPair("ES256"));
    const stolen = oauth.protectedResourceRequest(
      tokens.access_token,
      "POST",
      url,
      mcpHeaders(),
      initialize,
      {
        DPoP: thief,
        ...insecure,
      },
    );
    expect(await challengeOf(stolen)).toEqual({ status: 401, error: "invalid_dpop_proof" });

    const owner = oauth.DPoP(client, key);
    const ok = await oauth.protectedResourceRequest(
      tokens.access_token,
      "POST",
      url,
      mcpHeaders(),
      initialize,
      {
        DPoP: owner,
        ...insecure,
      },
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ result: { serverInfo: { name: "docs" } } });
    expect(kitErrors).toEqual([]);
  });
});
