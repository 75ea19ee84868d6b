import { createRoute, z } from "@hono/zod-openapi";
import { LeashError } from "@leash/core";
import { introspectTaskToken } from "@leash/providers";
import type { RouteRegistrar } from "../context.js";
import { bearer, errorResponses } from "../schemas.js";

const Introspection = z
  .object({
    active: z.boolean(),
    scope: z.string().optional(),
    sub: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iss: z.string().optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
    jti: z.string().optional(),
    token_type: z.string().optional(),
    task_id: z.string().optional(),
  })
  .openapi("Introspection");

const route = createRoute({
  method: "post",
  path: "/v1/introspect",
  tags: ["tools"],
  security: bearer,
  description:
    "RFC 7662 introspection of a Leash task token, `token=<JWT>` as a form or JSON. `active` is false as soon as the lease is revoked or expired.",
  responses: {
    200: { description: "Token state", content: { "application/json": { schema: Introspection } } },
    ...errorResponses,
  },
});

/** An unparsable body is the caller's mistake (400), not an internal error. */
async function parsed<T>(body: Promise<T>, error: () => LeashError): Promise<T> {
  try {
    return await body;
  } catch (cause) {
    throw cause instanceof LeashError ? cause : error();
  }
}

async function tokenFrom(req: {
  header(name: string): string | undefined;
  parseBody(): Promise<Record<string, unknown>>;
  json(): Promise<unknown>;
}): Promise<string> {
  const type = req.header("content-type") ?? "";
  let token: unknown;
  if (/^application\/json\b/i.test(type)) {
    const body = await parsed(
      req.json() as Promise<Record<string, unknown> | null>,
      () => new LeashError("malformed_json", "the request body is not valid JSON"),
    );
    token = body?.token;
  } else if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type))
    token = (
      await parsed(
        req.parseBody(),
        () => new LeashError("invalid_request", "the request body is not valid form data"),
      )
    ).token;
  else
    throw new LeashError(
      "unsupported_media_type",
      "send token=<JWT> as application/x-www-form-urlencoded or JSON",
    );
  if (typeof token !== "string" || token.length === 0 || token.length > 8192) {
    throw new LeashError("invalid_request", "the body must carry token=<JWT> (at most 8192 characters)");
  }
  return token;
}

export const registerIntrospect: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const token = await tokenFrom(c.req);
    const introspection = await introspectTaskToken(
      { issuer: ctx.publicUrl, keys: ctx.signingKeys, leases: ctx.store.leases, clock: ctx.broker.clock },
      token,
    );
    return c.json(introspection, 200);
  });
};
