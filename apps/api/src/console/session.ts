import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type IdentityVerifier, LeashError, type WorkloadIdentity } from "@leash/core";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/**
 * A browser cannot send a bearer header when it navigates, so the console keeps the identity token the person
 * pasted in an HttpOnly cookie and verifies it again on every request: the token's own expiry ends the session,
 * and nothing about the session is stored server-side (Redis never holds an identity token).
 */
export interface SessionCookies {
  /** `__Host-` prefixed over https: the browser then refuses it without Secure, Path=/ and no Domain. */
  session: string;
  login: string;
  secure: boolean;
}

/** Browsers drop cookies over 4096 bytes; a longer token is refused at login with a message saying so. */
export const MAX_COOKIE_TOKEN_CHARS = 3800;

export function sessionCookies(publicUrl: string): SessionCookies {
  const secure = publicUrl.startsWith("https:");
  return {
    session: secure ? "__Host-leash_console" : "leash_console",
    login: secure ? "__Secure-leash_console_login" : "leash_console_login",
    secure,
  };
}

/**
 * The CSRF token is an HMAC keyed by the session token: a page the attacker controls can neither read the HttpOnly
 * cookie nor compute this, while every API replica derives the same value without shared state. It is one-way,
 * so rendering it into a form reveals nothing about the token.
 */
export function csrfToken(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("leash-console-csrf").digest("base64url");
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readSessionToken(c: Context, cookies: SessionCookies): string | undefined {
  return getCookie(c, cookies.session) || undefined;
}

export function startSession(c: Context, cookies: SessionCookies, token: string, identity: WorkloadIdentity) {
  setCookie(c, cookies.session, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: cookies.secure,
    maxAge: Math.max(1, Math.floor((identity.expiresAt - Date.now()) / 1000)),
  });
  deleteCookie(c, cookies.login, { path: "/console/login", secure: cookies.secure });
}

export function endSession(c: Context, cookies: SessionCookies) {
  deleteCookie(c, cookies.session, { path: "/", secure: cookies.secure });
}

/** Login is protected too (login CSRF): the form carries a random value that must match this short-lived cookie. */
export function issueLoginNonce(c: Context, cookies: SessionCookies): string {
  const nonce = randomBytes(24).toString("base64url");
  setCookie(c, cookies.login, nonce, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/console/login",
    secure: cookies.secure,
    maxAge: 600,
  });
  return nonce;
}

export function loginNonce(c: Context, cookies: SessionCookies): string | undefined {
  return getCookie(c, cookies.login) || undefined;
}

/** Verifies a session token and requires the security role; throws the verifier's LeashError otherwise. */
export async function securityIdentity(verifier: IdentityVerifier, token: string): Promise<WorkloadIdentity> {
  const identity = await verifier.verify(token);
  if (!identity.roles.has("security")) {
    throw new LeashError("forbidden", "the console is for identities with the security role");
  }
  return identity;
}
