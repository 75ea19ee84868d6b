import { setTimeout as delay } from "node:timers/promises";
import type { z } from "zod";
import { LeashApiError, LeashConnectionError } from "./errors.js";
import { backoffMs, neverSent, retryAfterMs } from "./retry.js";
import { Problem } from "./types.js";

/** A bearer token, or a function that returns a fresh one (called before every attempt, so rotation just works). */
export type TokenSource = string | (() => Promise<string>);
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  token: TokenSource;
  fetch: FetchLike;
  retries: number;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is returned to the caller instead. */
  maxRetryAfterMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  userAgent: string;
}

interface Call {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Safe to repeat after an ambiguous failure (a timeout, a reset connection, a 5xx). */
  idempotent: boolean;
  signal?: AbortSignal | undefined;
}

/**
 * Core's `sleep`, kept here so that the SDK needs nothing from the server's packages: resolves after `ms`, or
 * rejects with the signal's own reason once it is aborted.
 */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}

function urlOf(baseUrl: string, call: Call): string {
  const url = new URL(call.path, `${baseUrl}/`);
  for (const [key, value] of Object.entries(call.query ?? {}))
    if (value !== undefined) url.searchParams.set(key, String(value));
  return url.toString();
}

async function apiError(response: Response, text: string): Promise<LeashApiError> {
  let problem: Problem = {};
  try {
    const parsed = Problem.safeParse(JSON.parse(text));
    if (parsed.success) problem = parsed.data;
  } catch {
    // A body that is not JSON (a proxy's HTML page): the status still says what happened.
  }
  const retryAfter = retryAfterMs(response.headers.get("retry-after"), Date.now());
  return new LeashApiError(response.status, problem, {
    requestId: response.headers.get("x-request-id") ?? undefined,
    retryAfterSeconds: retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000),
  });
}

export interface Transport {
  /** Sends the call with retries and returns the parsed JSON body of a 2xx answer, with its status. */
  json(call: Call): Promise<{ status: number; body: unknown }>;
  /** Sends the call with retries and returns the 2xx response with its body unread (for streams). */
  stream(call: Call): Promise<Response>;
  parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T;
}

export function createTransport(options: TransportOptions): Transport {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");

  async function headersFor(call: Call): Promise<Record<string, string>> {
    const token = typeof options.token === "string" ? options.token : await options.token();
    const headers: Record<string, string> = {
      accept: "application/json, application/problem+json",
      "user-agent": options.userAgent,
      authorization: `Bearer ${token}`,
      ...call.headers,
    };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    return headers;
  }

  /**
   * One logical call: up to `retries` repetitions on network errors and 5xx, never on 4xx. The timeout covers one
   * attempt up to the end of its body (or, for a stream, up to its headers).
   */
  async function send<T>(call: Call, read: (response: Response) => Promise<T>): Promise<T> {
    const url = urlOf(baseUrl, call);
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= options.retries;
      // Outside the try: a failing token source is the caller's error, not a network failure to retry.
      const headers = await headersFor(call);
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
      let response: Response;
      try {
        response = await options.fetch(url, {
          method: call.method,
          headers,
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal,
        });
        if (response.ok) return await read(response);
        const text = await response.text();
        const error = await apiError(response, text);
        if (response.status < 500 || !call.idempotent || last) throw error;
        const hinted = retryAfterMs(response.headers.get("retry-after"), Date.now());
        if (hinted !== undefined && hinted > options.maxRetryAfterMs) throw error;
        clearTimeout(timer);
        await options.sleep(
          hinted ?? backoffMs(attempt, options.backoffBaseMs, options.backoffMaxMs, options.random),
          call.signal,
        );
        continue;
      } catch (error) {
        if (error instanceof LeashApiError || call.signal?.aborted) throw error;
        if (error instanceof LeashConnectionError) throw error;
        if (last || !(call.idempotent || neverSent(error))) {
          const reason = timeout.signal.aborted ? String(timeout.signal.reason?.message) : String(error);
          throw new LeashConnectionError(
            `${call.method} ${call.path} failed after ${attempt + 1} attempt(s): ${reason}`,
            attempt + 1,
            error,
          );
        }
      } finally {
        clearTimeout(timer);
      }
      await options.sleep(
        backoffMs(attempt, options.backoffBaseMs, options.backoffMaxMs, options.random),
        call.signal,
      );
    }
  }

  return {
    json: (call) =>
      send(call, async (response) => {
        const text = await response.text();
        if (text === "") return { status: response.status, body: undefined };
        try {
          return { status: response.status, body: JSON.parse(text) as unknown };
        } catch (error) {
          throw new LeashConnectionError(`${call.method} ${call.path}: the answer is not JSON`, 1, error);
        }
      }),
    stream: (call) => send(call, async (response) => response),
    parse(schema, body, what) {
      const result = schema.safeParse(body);
      if (result.success) return result.data;
      throw new LeashConnectionError(
        `${what}: unexpected answer from the API (${result.error.issues[0]?.message ?? "invalid"})`,
        1,
      );
    },
  };
}
