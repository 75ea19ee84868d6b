/**
 * The request metadata headers of MCP 2026-07-28 Streamable HTTP ("Request Metadata"): `Mcp-Method`, `Mcp-Name`
 * and the `Mcp-Param-{Name}` headers a tool's `x-mcp-header` annotations ask for. A server that reads the body
 * must refuse a request whose headers and body disagree (-32020 HeaderMismatch): intermediaries route on headers,
 * and a request that says one thing to them and another to the server would slip past their policy.
 */

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
/** RFC 9110 field values: visible ASCII, space and tab. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

/** A header value as the client encoded it (plain ASCII, or the Base64 sentinel form); undefined if invalid. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!FIELD_VALUE.test(value)) return undefined;
  const sentinel = SENTINEL.exec(value);
  if (!sentinel) return value;
  const bytes = Buffer.from(sentinel[1] ?? "", "base64");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The methods whose `Mcp-Name` mirrors `params.name` or `params.uri`. */
export function nameOf(
  method: string,
  params: Record<string, unknown> | undefined,
): string | null | undefined {
  if (method === "tools/call" || method === "prompts/get")
    return typeof params?.name === "string" ? params.name : undefined;
  if (method === "resources/read") return typeof params?.uri === "string" ? params.uri : undefined;
  return null;
}

export interface ParamHeader {
  /** The `x-mcp-header` value: the header is `Mcp-Param-{name}`. */
  name: string;
  /** The chain of `properties` keys from the schema root. */
  path: string[];
}

/** The annotated parameters of a tool's inputSchema, reachable through `properties` keys only. */
export function paramHeaders(schema: unknown, path: string[] = []): ParamHeader[] {
  if (typeof schema !== "object" || schema === null) return [];
  const properties = (schema as { properties?: unknown }).properties;
  if (typeof properties !== "object" || properties === null) return [];
  const found: ParamHeader[] = [];
  for (const [key, property] of Object.entries(properties)) {
    const header = (property as { "x-mcp-header"?: unknown })?.["x-mcp-header"];
    if (typeof header === "string") found.push({ name: header, path: [...path, key] });
    found.push(...paramHeaders(property, [...path, key]));
  }
  return found;
}

function valueAt(args: unknown, path: string[]): unknown {
  let value: unknown = args;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Compares a decoded header with the body's value: integers numerically, booleans as lowercase words. */
function sameValue(header: string, value: unknown): boolean {
  if (typeof value === "string") return header === value;
  if (typeof value === "boolean") return header === String(value);
  if (typeof value === "number") return header.trim() !== "" && Number(header) === value;
  return false;
}

/** Why the `Mcp-Param-*` headers do not match the call's arguments, or undefined when they do. */
export function paramMismatch(headers: Headers, annotated: ParamHeader[], args: unknown): string | undefined {
  for (const { name, path } of annotated) {
    const raw = headers.get(`mcp-param-${name}`);
    const value = valueAt(args, path);
    if (value === undefined || value === null) {
      if (raw !== null) return `Mcp-Param-${name} is present but the argument is not`;
      continue;
    }
    if (raw === null) return `Mcp-Param-${name} is missing`;
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) return `Mcp-Param-${name} has invalid characters`;
    if (!sameValue(decoded, value)) return `Mcp-Param-${name} does not match the argument`;
  }
  return undefined;
}
