import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createResourceServer } from "../resource-server.js";
import {
  accessToken,
  frozenClock,
  ISSUER,
  keysOf,
  RESOURCE,
  type Signer,
  signer,
} from "../testing/tokens.js";
import { leashGrantOf } from "./grant.js";
import { mcpHandler } from "./handler.js";

let leash: Signer;
let bearer: string;
beforeAll(async () => {
  leash = await signer();
  bearer = `Bearer ${await accessToken(leash)}`;
});

function toolServer() {
  const server = new McpServer({ name: "docs", version: "1.0.0" }, { instructions: "Reads docs." });
  server.registerTool(
    "whoami",
    { description: "The verified caller", inputSchema: {} },
    async (_args, extra) => {
      const grant = leashGrantOf(extra);
      const seen = { agent: grant.agent, task: grant.taskId, intent: grant.intent };
      return { content: [{ type: "text", text: JSON.stringify(seen) }], structuredContent: seen };
    },
  );
  server.registerTool(
    "in_region",
    { inputSchema: { region: z.string().meta({ "x-mcp-header": "Region" }), query: z.string() } },
    async ({ region }) => ({ content: [{ type: "text", text: region }] }),
  );
  return server;
}

function endpoint() {
  const resourceServer = createResourceServer({
    resource: RESOURCE,
    issuer: ISSUER,
    keys: keysOf(leash),
    revocation: { status: () => "live" },
    clock: frozenClock(),
  });
  return mcpHandler({ resourceServer, server: toolServer, allowedOrigins: ["https://console.example"] });
}

const MODERN = "2026-07-28";
const meta = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** A 2026-07-28 request: headers mirroring the body, unless `headers` says otherwise. */
function modern(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const params = (body.params ?? {}) as Record<string, unknown>;
  const name = typeof params.name === "string" ? { "mcp-name": params.name } : {};
  return new Request(RESOURCE, {
    method: "POST",
    headers: {
      authorization: bearer,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN,
      "mcp-method": String(body.method),
      ...name,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      ...body,
      params: { ...params, _meta: { ...meta, ...(params._meta as object) } },
    }),
  });
}

describe("mcpHandler: before authentication", () => {
  it("refuses a foreign Origin 403 before looking at the token", async () => {
    const res = await endpoint()(
      new Request(RESOURCE, { method: "POST", headers: { origin: "https://evil.example" } }),
    );
    expect(res.status).toBe(403);
  });

  it("accepts the resource's own origin and the configured ones", async () => {
    for (const origin of ["https://tools.example", "https://console.example"]) {
      const res = await endpoint()(new Request(RESOURCE, { method: "POST", headers: { origin } }));
      expect(res.status, origin).toBe(401);
    }
  });

  it("answers GET and DELETE 405: no stream, no session", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await endpoint()(new Request(RESOURCE, { method, headers: { authorization: bearer } }));
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("serves the RFC 9728 metadata and answers a POST without a token 401 pointing at it", async () => {
    const meta = await endpoint()(
      new Request("https://tools.example/.well-known/oauth-protected-resource/mcp"),
    );
    expect(await meta.json()).toMatchObject({ resource: RESOURCE, authorization_servers: [ISSUER] });
    const res = await endpoint()(new Request(RESOURCE, { method: "POST" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer resource_metadata="https://tools.example/.well-known/oauth-protected-resource/mcp"',
    );
  });
});

describe("mcpHandler: the 2025 revisions through the official SDK client, without sessions", () => {
  async function client(requestInit: RequestInit = {}) {
    const handler = endpoint();
    const seen: Response[] = [];
    const transport = new StreamableHTTPClientTransport(new URL(RESOURCE), {
      requestInit: { headers: { authorization: bearer }, ...requestInit },
      fetch: async (url, init) => {
        const res = await handler(new Request(url, init));
        seen.push(res.clone());
        return res;
      },
    });
    const c = new Client({ name: "agent", version: "1.0.0" });
    await c.connect(transport);
    return { c, seen, transport };
  }

  it("initialises without Mcp-Session-Id and calls a tool that sees the agent, task and intent", async () => {
    const { c, seen, transport } = await client();
    expect(transport.protocolVersion).toBe("2025-11-25");
    expect(seen.every((r) => r.headers.get("mcp-session-id") === null)).toBe(true);
    const tools = await c.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(["in_region", "whoami"]);
    const result = await c.callTool({ name: "whoami", arguments: {} });
    expect(result.structuredContent).toEqual({
      agent: "spiffe://example.org/agent/a",
      task: "task-1",
      intent: { action: "read", resource: "docs/" },
    });
    await c.close();
  });

  it("answers an initialize for an older revision with 2025-11-25, and 2025-06-18 as asked", async () => {
    const init = (protocolVersion: string) =>
      new Request(RESOURCE, {
        method: "POST",
        headers: {
          authorization: bearer,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion, capabilities: {}, clientInfo: { name: "c", version: "1" } },
        }),
      });
    const old = (await (await endpoint()(init("2025-03-26"))).json()) as {
      result: { protocolVersion: string };
    };
    expect(old.result.protocolVersion).toBe("2025-11-25");
    const june = (await (await endpoint()(init("2025-06-18"))).json()) as {
      result: { protocolVersion: string };
    };
    expect(june.result.protocolVersion).toBe("2025-06-18");
  });

  it("refuses a request whose MCP-Protocol-Version names a revision it does not serve", async () => {
    const res = await endpoint()(
      new Request(RESOURCE, {
        method: "POST",
        headers: {
          authorization: bearer,
          "content-type": "application/json",
          "mcp-protocol-version": "2024-11-05",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32022, data: { requested: "2024-11-05" } } });
  });
});

describe("mcpHandler: revision 2026-07-28", () => {
  it("calls a tool with per-request metadata and answers a complete result", async () => {
    const res = await endpoint()(
      modern({ id: 7, method: "tools/call", params: { name: "whoami", arguments: {} } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("mcp-session-id")).toBeNull();
    const body = (await res.json()) as { id: number; result: Record<string, unknown> };
    expect(body.id).toBe(7);
    expect(body.result).toMatchObject({
      resultType: "complete",
      structuredContent: { agent: "spiffe://example.org/agent/a", task: "task-1" },
    });
  });

  it("implements server/discover from the server's own capabilities and identity", async () => {
    const res = await endpoint()(modern({ id: "d", method: "server/discover" }));
    const { result } = (await res.json()) as { result: Record<string, unknown> };
    expect(result).toMatchObject({
      resultType: "complete",
      supportedVersions: ["2026-07-28", "2025-11-25", "2025-06-18"],
      capabilities: { tools: {} },
      instructions: "Reads docs.",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "docs", version: "1.0.0" } },
      ttlMs: 0,
      cacheScope: "private",
    });
  });

  it("says how long a tool list may be cached, and never across tokens", async () => {
    const { result } = (await (await endpoint()(modern({ id: 1, method: "tools/list" }))).json()) as {
      result: Record<string, unknown>;
    };
    expect(result).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });
  });

  it("refuses headers that disagree with the body (-32020 HeaderMismatch)", async () => {
    const call = { id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } };
    const cases: Record<string, string>[] = [
      { "mcp-name": "other" },
      { "mcp-method": "tools/list" },
      { "mcp-protocol-version": "2025-11-25" },
    ];
    for (const headers of cases) {
      const res = await endpoint()(modern(call, headers));
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: -32020 } });
    }
  });

  it("decodes a Base64 sentinel Mcp-Name before comparing it", async () => {
    const call = { id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } };
    const res = await endpoint()(modern(call, { "mcp-name": "=?base64?d2hvYW1p?=" }));
    expect(res.status).toBe(200);
  });

  it("checks Mcp-Param headers against the arguments of annotated parameters", async () => {
    const call = {
      id: 1,
      method: "tools/call",
      params: { name: "in_region", arguments: { region: "eu", query: "q" } },
    };
    expect((await endpoint()(modern(call, { "mcp-param-region": "eu" }))).status).toBe(200);
    const missing = await endpoint()(modern(call));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: -32020 } });
    expect((await endpoint()(modern(call, { "mcp-param-region": "us" }))).status).toBe(400);
  });

  it("answers an unsupported revision with the versions it supports (-32022)", async () => {
    const res = await endpoint()(
      modern(
        {
          id: 1,
          method: "tools/list",
          params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2027-01-01" } },
        },
        { "mcp-protocol-version": "2027-01-01" },
      ),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: -32022,
        data: { supported: ["2026-07-28", "2025-11-25", "2025-06-18"], requested: "2027-01-01" },
      },
    });
  });

  it("answers an unknown method 404 with -32601 and a notification 202", async () => {
    const unknown = await endpoint()(modern({ id: 1, method: "nope/nothing" }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: -32601 } });
    expect((await endpoint()(modern({ method: "notifications/whatever" }))).status).toBe(202);
  });

  it("ignores Mcp-Session-Id and never mints one", async () => {
    const res = await endpoint()(modern({ id: 1, method: "tools/list" }, { "mcp-session-id": "stale" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
  });
});
