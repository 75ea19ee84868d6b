import {
  type Clock,
  ensureNotSuspended,
  type IdentityVerifier,
  LeashError,
  type SuspensionCheck,
} from "@leash/core";
import type { MiddlewareHandler } from "hono";
import type { ConsoleEnv } from "./env.js";
import {
  csrfToken,
  endSession,
  readSessionToken,
  type SessionCookies,
  sameSecret,
  securityIdentity,
} from "./session.js";

export const LOGIN_PATH = "/console/login";

/**
 * Every console request re-verifies the session token (so its expiry and the trust configuration apply at once)
 * and needs the security role; a suspended identity is refused like everywhere else. A missing or expired session goes back to the login form. A POST must carry the
 * session's CSRF token in its form: SameSite=Strict alone leaves same-site attackers and old browsers.
 */
export function requireSession(
  verifier: IdentityVerifier,
  cookies: SessionCookies,
  suspensions: { suspensions: SuspensionCheck; clock: Clock },
): MiddlewareHandler<ConsoleEnv> {
  return async function requireSessionMiddleware(c, next) {
    const token = readSessionToken(c, cookies);
    if (!token) return c.redirect(LOGIN_PATH, 303);
    try {
      c.set("identity", await securityIdentity(verifier, token));
    } catch (error) {
      endSession(c, cookies);
      if (error instanceof LeashError && error.code === "unauthenticated") return c.redirect(LOGIN_PATH, 303);
      throw error;
    }
    await ensureNotSuspended(suspensions, [c.get("identity").subject]);
    const csrf = csrfToken(token);
    c.set("csrf", csrf);
    if (c.req.method === "POST") {
      if (c.req.header("sec-fetch-site") === "cross-site") {
        throw new LeashError("forbidden", "a console action must come from a console page");
      }
      const form = await c.req.parseBody();
      const given = typeof form.csrf === "string" ? form.csrf : undefined;
      if (!sameSecret(given, csrf)) {
        throw new LeashError(
          "forbidden",
          "the form's CSRF token is missing or wrong; reload the page and retry",
        );
      }
    }
    await next();
  };
}
