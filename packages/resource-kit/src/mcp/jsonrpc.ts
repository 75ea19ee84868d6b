/** JSON-RPC error codes the adapter answers itself (MCP 2026-07-28 schema, JSON-RPC 2.0). */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INTERNAL_ERROR = -32603;
export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

type Id = string | number | null;

function errorBody(id: Id, code: number, message: string, data?: unknown) {
  return { jsonrpc: "2.0" as const, id, error: { code, message, ...(data === undefined ? {} : { data }) } };
}

/** An error answer; `id` is left out where the spec says the error has none (a refused HTTP request). */
export function errorResponse(
  status: number,
  code: number,
  message: string,
  id?: Id,
  data?: unknown,
): Response {
  const body = errorBody(id ?? null, code, message, data);
  if (id === undefined) Reflect.deleteProperty(body, "id");
  return Response.json(body, { status });
}
