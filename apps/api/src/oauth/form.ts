import { OAuthError } from "@leash/core";
import type { Context } from "hono";
import type { ApiEnv } from "../env.js";

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** The form parameters of a request, in order and with repeats (RFC 6749 §3.2 refuses those), never parsed twice. */
export async function formPairs(c: Context<ApiEnv>): Promise<[string, string][]> {
  if (!FORM.test(c.req.header("content-type") ?? ""))
    throw new OAuthError("invalid_request", "send the parameters as application/x-www-form-urlencoded");
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new OAuthError("invalid_request", "the request body could not be read");
  }
  return [...new URLSearchParams(text)];
}

/** One parameter that may appear once; its value or undefined. */
export function single(pairs: readonly [string, string][], name: string): string | undefined {
  const values = pairs.filter(([n]) => n === name).map(([, v]) => v);
  if (values.length > 1) throw new OAuthError("invalid_request", `parameter ${name} is sent more than once`);
  return values[0];
}
