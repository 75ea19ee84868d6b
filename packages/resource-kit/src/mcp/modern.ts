import type { Answer, Exchange } from "./dispatch.js";
import { decodeHeaderValue, nameOf, paramHeaders, paramMismatch } from "./headers.js";
import {
  errorResponse,
  HEADER_MISMATCH,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  UNSUPPORTED_PROTOCOL_VERSION,
} from "./jsonrpc.js";
import { META_VERSION, MODERN_VERSIONS, SUPPORTED_VERSIONS } from "./versions.js";

type Id = string | number;

interface Message {
  jsonrpc: "2.0";
  id?: Id;
  method: string;
  params?: Record<string, unknown>;
}

/** Results the 2026-07-28 schema makes cacheable: they must say for how long and for whom. */
const CACHEABLE = new Set([
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function metaVersion(body: unknown): unknown {
  if (!isRecord(body) || !isRecord(body.params) || !isRecord(body.params._meta)) return undefined;
  return body.params._meta[META_VERSION];
}

/**
 * A request speaks a per-request-metadata revision when its `_meta` or its `MCP-Protocol-Version` says so;
 * `initialize` always selects the handshake revisions (a dual-era server, versioning "Backward Compatibility").
 */
export function isModern(body: unknown, headers: Headers): boolean {
  if (!isRecord(body) || body.method === "initialize") return false;
  const header = headers.get("mcp-protocol-version");
  return metaVersion(body) !== undefined || (header !== null && MODERN_VERSIONS.includes(header));
}

function asMessage(body: unknown): Message | undefined {
  if (!isRecord(body) || body.jsonrpc !== "2.0" || typeof body.method !== "string") return undefined;
  if ("result" in body || "error" in body) return undefined;
  if ("id" in body && typeof body.id !== "string" && typeof body.id !== "number") return undefined;
  if (body.params !== undefined && !isRecord(body.params)) return undefined;
  return body as unknown as Message;
}

const mismatch = (id: Id | undefined, why: string) =>
  errorResponse(400, HEADER_MISMATCH, `Header mismatch: ${why}`, id ?? null);

/** Why the transport headers disagree with the body, or undefined when they agree. */
function headerProblem(message: Message, headers: Headers): string | undefined {
  const version = headers.get("mcp-protocol-version");
  const declared = metaVersion(message);
  if (version === null) return "MCP-Protocol-Version is missing";
  if (declared === undefined) return `_meta["${META_VERSION}"] is missing`;
  if (declared !== version) return "MCP-Protocol-Version does not match the body";
  const method = headers.get("mcp-method");
  if (method === null) return "Mcp-Method is missing";
  if (method !== message.method) return "Mcp-Method does not match the body";
  const name = nameOf(message.method, message.params);
  if (name === null) return undefined;
  const header = headers.get("mcp-name");
  if (header === null) return "Mcp-Name is missing";
  const decoded = decodeHeaderValue(header);
  if (decoded === undefined) return "Mcp-Name has invalid characters";
  if (name !== undefined && decoded !== name) return "Mcp-Name does not match the body";
  return undefined;
}

/** Ids of the adapter's own requests to the server, apart from any the client may choose. */
const internalId = () => `leash-resource-kit-${crypto.randomUUID()}`;

async function discover(exchange: Exchange, id: Id): Promise<Response> {
  const answer = await exchange.request({
    jsonrpc: "2.0",
    id: internalId(),
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "discover", version: "0" },
    },
  });
  if ("error" in answer) return Response.json({ jsonrpc: "2.0", id, error: answer.error });
  const { capabilities, serverInfo, instructions } = answer.result;
  return Response.json({
    jsonrpc: "2.0",
    id,
    result: {
      resultType: "complete",
      supportedVersions: SUPPORTED_VERSIONS,
      capabilities,
      ...(instructions === undefined ? {} : { instructions }),
      _meta: { "io.modelcontextprotocol/serverInfo": serverInfo },
      ttlMs: 0,
      cacheScope: "private",
    },
  });
}

/** The tool's `x-mcp-header` annotations must be mirrored in `Mcp-Param-*` headers: compare them first. */
async function paramProblem(
  exchange: Exchange,
  message: Message,
  headers: Headers,
): Promise<string | undefined> {
  const listed = await exchange.request({
    jsonrpc: "2.0",
    id: internalId(),
    method: "tools/list",
    params: {},
  });
  if ("error" in listed) return undefined;
  const tools = Array.isArray(listed.result.tools) ? (listed.result.tools as Record<string, unknown>[]) : [];
  const tool = tools.find((t) => t.name === message.params?.name);
  if (!tool) return undefined;
  return paramMismatch(headers, paramHeaders(tool.inputSchema), message.params?.arguments);
}

/** A result of this revision says it is complete; cacheable ones say for how long and for whom (never shared). */
function answerOf(method: string, answer: Answer): Response {
  if ("error" in answer) {
    const status = answer.error.code === METHOD_NOT_FOUND ? 404 : 200;
    return Response.json({ jsonrpc: "2.0", id: answer.id, error: answer.error }, { status });
  }
  const result: Record<string, unknown> = { resultType: "complete", ...answer.result };
  if (CACHEABLE.has(method)) {
    result.ttlMs ??= 0;
    result.cacheScope ??= "private";
  }
  return Response.json({ jsonrpc: "2.0", id: answer.id, result });
}

/**
 * One MCP 2026-07-28 request over Streamable HTTP: the body is a single request or notification whose `_meta`
 * carries the revision, mirrored in headers the server checks against the body; the answer is one JSON object.
 */
export async function handleModern(
  body: unknown,
  headers: Headers,
  open: () => Promise<Exchange>,
): Promise<Response> {
  const message = asMessage(body);
  if (!message)
    return errorResponse(400, INVALID_REQUEST, "Invalid Request: one JSON-RPC request or notification");
  const problem = headerProblem(message, headers);
  if (problem) return mismatch(message.id, problem);
  const version = metaVersion(message);
  if (typeof version !== "string" || !MODERN_VERSIONS.includes(version))
    return errorResponse(
      400,
      UNSUPPORTED_PROTOCOL_VERSION,
      "Unsupported protocol version",
      message.id ?? null,
      {
        supported: SUPPORTED_VERSIONS,
        requested: version,
      },
    );
  const exchange = await open();
  try {
    if (message.id === undefined) {
      exchange.notify(message);
      return new Response(null, { status: 202 });
    }
    if (message.method === "server/discover") return await discover(exchange, message.id);
    if (message.method === "tools/call") {
      const params = await paramProblem(exchange, message, headers);
      if (params) return mismatch(message.id, params);
    }
    return answerOf(message.method, await exchange.request({ ...message, id: message.id }));
  } finally {
    await exchange.close();
  }
}
