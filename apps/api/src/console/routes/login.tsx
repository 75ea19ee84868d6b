import { LeashError, type WorkloadIdentity } from "@leash/core";
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { ApiContext } from "../../context.js";
import type { ConsoleEnv } from "../env.js";
import { LoginPage } from "../pages/login.js";
import { renderPage } from "../render.js";
import { LOGIN_PATH } from "../require-session.js";
import {
  endSession,
  issueLoginNonce,
  loginNonce,
  MAX_COOKIE_TOKEN_CHARS,
  readSessionToken,
  type SessionCookies,
  sameSecret,
  securityIdentity,
  startSession,
} from "../session.js";

const LoginForm = z.object({
  token: z.string().trim().min(1, "paste a token"),
  csrf: z.string().min(1),
});

function loginForm(
  c: Context<ConsoleEnv>,
  cookies: SessionCookies,
  status: ContentfulStatusCode,
  error?: string,
) {
  const nonce = issueLoginNonce(c, cookies);
  return renderPage(c, "Sign in", <LoginPage nonce={nonce} error={error} />, status);
}

/** Sign-in by pasting an identity token, and sign-out. Refusals are audited; the token never is. */
export function registerLogin(web: Hono<ConsoleEnv>, ctx: ApiContext, cookies: SessionCookies) {
  const refused = (reason: string, actor: string | null = null) =>
    ctx.audit
      .append({ type: "console.login_refused", actor, outcome: "denied", detail: { reason } })
      .catch(() => {});

  web.get("/login", async (c) => {
    const token = readSessionToken(c, cookies);
    if (token && (await securityIdentity(ctx.verifier, token).catch(() => null)))
      return c.redirect("/console", 303);
    return loginForm(c, cookies, 200);
  });

  web.post("/login", async (c) => {
    const form = LoginForm.safeParse(await c.req.parseBody());
    if (!form.success) return loginForm(c, cookies, 400, "Paste an identity token.");
    if (!sameSecret(form.data.csrf, loginNonce(c, cookies) ?? "")) {
      return loginForm(
        c,
        cookies,
        403,
        "The sign-in form expired or did not come from this site; try again.",
      );
    }
    const token = form.data.token;
    if (token.length > MAX_COOKIE_TOKEN_CHARS) {
      return loginForm(
        c,
        cookies,
        400,
        `This token is ${token.length} characters long; a browser cookie holds at most ${MAX_COOKIE_TOKEN_CHARS}. Use the API or the CLI with it.`,
      );
    }
    let identity: WorkloadIdentity;
    try {
      identity = await ctx.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof LeashError)) throw error;
      await refused(error.message);
      return loginForm(c, cookies, 401, `The token was refused: ${error.message}`);
    }
    if (!identity.roles.has("security")) {
      // Verified, but not security: name the subject so the person knows which token they pasted.
      await refused("no security role", identity.subject);
      return loginForm(c, cookies, 403, `${identity.subject} does not hold the security role.`);
    }
    startSession(c, cookies, token, identity);
    await ctx.audit.append({ type: "console.login", actor: identity.subject, outcome: "ok" });
    return c.redirect("/console", 303);
  });

  web.post("/logout", async (c) => {
    endSession(c, cookies);
    await ctx.audit.append({ type: "console.logout", actor: c.get("identity").subject, outcome: "ok" });
    return c.redirect(LOGIN_PATH, 303);
  });
}
