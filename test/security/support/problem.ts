import { REPO_ROOT } from "@leash/devstack";
import { expect } from "vitest";

/** A response reduced to what the checks look at; the body is read once, as text. */
export interface Seen {
  status: number;
  headers: Headers;
  body: string;
}

export async function see(res: Response): Promise<Seen> {
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const LEAKS: [RegExp, string][] = [
  [/\bat\s.*:\d+:\d+/, "a stack frame"],
  [/\.[cm]?[jt]sx?:\d+/, "a source location"],
  [/node:internal|node_modules|file:\/\//, "a module path"],
  [new RegExp(REPO_ROOT.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "the install path"],
];

/** What the response gives away that it must not: stack frames, source locations, paths on the server. */
function leaks(text: string): string[] {
  return LEAKS.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);
}

/** The authorization server's endpoints answer RFC 6749 §5.2 JSON, which OAuth clients parse, not problem+json. */
const OAUTH_PATHS = /^\/(oauth\/|\.well-known\/oauth-authorization-server)/;

/** An RFC 6749 §5.2 error: a code, a description, never cached, and the request id header as everywhere. */
function oauthViolations(seen: Seen): string[] {
  const found: string[] = [];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(seen.body) as Record<string, unknown>;
  } catch {
    return ["a body that is not JSON"];
  }
  if (typeof body.error !== "string" || !/^[a-z_]+$/.test(body.error))
    found.push(`error ${String(body.error)}`);
  if (typeof body.error_description !== "string") found.push("no error_description");
  if (seen.headers.get("cache-control") !== "no-store") found.push("cacheable");
  if (!seen.headers.get("x-request-id")) found.push("no x-request-id");
  return found;
}

/**
 * Everything wrong with a response by the rules every endpoint keeps: never a 5xx, nothing of the server's
 * internals in the body, and every 4xx a problem+json (RFC 9457) naming a stable type and the request id, or, from
 * the OAuth endpoints (given `path`), an RFC 6749 error. Empty when the response is fine.
 */
export function violations(seen: Seen, method = "GET", path = ""): string[] {
  const found: string[] = [];
  if (seen.status >= 500) found.push(`status ${seen.status}`);
  found.push(...leaks(seen.body).map((what) => `the body shows ${what}`));
  if (seen.status < 400 || method === "HEAD") return found;
  const type = seen.headers.get("content-type") ?? "";
  if (OAUTH_PATHS.test(path) && type.startsWith("application/json"))
    return [...found, ...oauthViolations(seen)];
  if (!type.startsWith("application/problem+json")) found.push(`content-type ${type || "(none)"}`);
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(seen.body) as Record<string, unknown>;
  } catch {
    return [...found, "a body that is not JSON"];
  }
  if (typeof problem.type !== "string" || !/^urn:leash:problem:[a-z_]+$/.test(problem.type))
    found.push(`type ${String(problem.type)}`);
  if (typeof problem.title !== "string" || problem.title === "") found.push("no title");
  if (problem.status !== seen.status) found.push(`status ${String(problem.status)} in the body`);
  if (typeof problem.detail !== "string") found.push("no detail");
  if (problem.request_id !== seen.headers.get("x-request-id")) found.push("request_id unlike x-request-id");
  return found;
}

/** Asserts a problem response of `status` with `urn:leash:problem:<code>`, and returns its body. */
export function expectProblem(seen: Seen, status: number, code?: string): Record<string, unknown> {
  expect(seen.status, seen.body).toBe(status);
  expect(violations(seen)).toEqual([]);
  const body = JSON.parse(seen.body) as Record<string, unknown>;
  if (code !== undefined) expect(body.type).toBe(`urn:leash:problem:${code}`);
  return body;
}
