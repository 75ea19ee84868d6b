import type { FetchLike } from "./transport.js";

export interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export type Responder = (call: RecordedCall, signal: AbortSignal | undefined) => Promise<Response> | Response;

/** A fetch that answers from a script, one responder per attempt, and records every request it saw. */
export function scriptedFetch(...script: Responder[]): { fetch: FetchLike; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const call = {
      url,
      method: init.method ?? "GET",
      headers,
      body: typeof init.body === "string" ? init.body : undefined,
    };
    calls.push(call);
    const responder = script[Math.min(calls.length - 1, script.length - 1)];
    if (!responder) throw new Error("empty script");
    return responder(call, init.signal ?? undefined);
  };
  return { fetch, calls };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export const problem = (status: number, code: string, headers: Record<string, string> = {}): Response =>
  new Response(
    JSON.stringify({
      type: `urn:leash:problem:${code}`,
      title: code,
      status,
      detail: `detail of ${code}`,
      request_id: "req-1",
    }),
    { status, headers: { "content-type": "application/problem+json", ...headers } },
  );

export function networkError(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
}
