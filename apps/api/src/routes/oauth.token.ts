import { createRoute, z } from "@hono/zod-openapi";
import {
  type Granted,
  grantAccessToken,
  grantedDetails,
  OAuthError,
  parseTokenRequest,
  type RequestedIntent,
  TOKEN_TYPE_ACCESS_TOKEN,
} from "@leash/core";
import { checkDpopProof } from "@leash/providers";
import type { Context } from "hono";
import type { ApiEnv } from "../env.js";
import { NO_STORE, oauthHandler } from "../oauth/errors.js";
import { formPairs } from "../oauth/form.js";
import { oauthErrorResponses, TokenForm, TokenResponse } from "../oauth/schemas.js";
import type { OAuthRegistrar } from "./oauth.js";

const route = createRoute({
  method: "post",
  path: "/oauth/token",
  tags: ["oauth"],
  description:
    "OAuth 2.1 token endpoint: token exchange (RFC 8693, the workload JWT as `subject_token`) or client credentials (RFC 7523 client assertion). Each access token (RFC 9068, `aud` = `resource`) is a lease with provider `oauth`, decided like `POST /v1/leases`. A `DPoP` proof (RFC 9449) binds it to a key. Errors are RFC 6749 §5.2 JSON.",
  request: {
    headers: z.object({ dpop: z.string().optional().openapi({ description: "RFC 9449 proof" }) }),
    body: { content: { "application/x-www-form-urlencoded": { schema: TokenForm } }, required: true },
  },
  responses: {
    200: { description: "Issued", content: { "application/json": { schema: TokenResponse } } },
    ...oauthErrorResponses,
  },
});

/** RFC 9449 §4.3: at most one proof; a compact JWS has no comma, so a comma means several headers were joined. */
function proofOf(c: Context<ApiEnv>): string | undefined {
  const proof = c.req.header("dpop");
  if (proof?.includes(",")) throw new OAuthError("invalid_dpop_proof", "send exactly one DPoP header");
  return proof;
}

/** The answer echoes the intent in the form it was asked in, with the task resolved (RFC 9396 §7, RFC 6749 §5.1). */
function echoed(requested: RequestedIntent, granted: Granted) {
  if (requested.form === "authorization_details")
    return { authorization_details: grantedDetails(granted.taskId, granted.intent) };
  if (requested.form === "scope") {
    const intent = granted.intent ? [`${granted.intent.action}:${granted.intent.resource}`] : [];
    return { scope: [`task:${granted.taskId}`, ...intent].join(" ") };
  }
  return {};
}

function outcomeOf(error: unknown): string {
  if (!(error instanceof OAuthError)) return "error";
  if (error.code !== "access_denied") return "error";
  if (error.extensions?.approval_id !== undefined) return "approval";
  return error.status === 429 ? "quota_exceeded" : "denied";
}

export const registerOAuthToken: OAuthRegistrar = (app, ctx, deps) => {
  // Documented, not validated by the OpenAPI layer: the parameters are read (repeats included) by RFC 6749's rules,
  // and refused as RFC 6749 errors.
  app.openAPIRegistry.registerPath(route);
  app.post(
    route.path,
    oauthHandler(ctx.logger, async (c) => {
      const request = parseTokenRequest(await formPairs(c));
      const proof = proofOf(c);
      const clock = ctx.broker.clock;
      // Checked now, spent (its jti recorded) only once the caller has authenticated.
      const checked =
        proof === undefined
          ? undefined
          : await checkDpopProof({ replay: ctx.store.dpopReplay, clock }, proof, {
              method: "POST",
              url: deps.tokenEndpoint,
            });
      const end = ctx.metrics.issueDuration.startTimer({ provider: "oauth" });
      let granted: Granted;
      try {
        granted = await grantAccessToken(deps, request, checked, c.req.raw.signal);
      } catch (error) {
        ctx.metrics.issueRequests.inc({ provider: "oauth", outcome: outcomeOf(error) });
        throw error;
      } finally {
        end();
      }
      ctx.metrics.issueRequests.inc({ provider: "oauth", outcome: "issued" });
      const { lease, credential } = granted;
      const body = {
        access_token: String(credential.token),
        token_type: credential.token_type === "DPoP" ? ("DPoP" as const) : ("Bearer" as const),
        expires_in: Math.round((lease.expiresAt - lease.issuedAt) / 1000),
        issued_token_type: TOKEN_TYPE_ACCESS_TOKEN as typeof TOKEN_TYPE_ACCESS_TOKEN,
        ...echoed(request.requested, granted),
      };
      return c.json(body, 200, NO_STORE);
    }),
  );
};
