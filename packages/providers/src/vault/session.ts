import { type Clock, LeashError } from "@leash/core";
import { abortable } from "./abort.js";
import type { VaultAuthConfig } from "./config.js";
import type { VaultAttempt, VaultCall, VaultHttp } from "./http.js";
import { AuthResponse, parseVault, TokenLookup } from "./responses.js";

export type Env = Readonly<Record<string, string | undefined>>;

interface Held {
  token: string;
  /** Epoch ms; null for a token that never expires. */
  expiresAt: number | null;
  /** Seconds the token was granted at login or creation: renewal starts when a third of it is left. */
  baseTtlSeconds: number;
  /** False once Vault will not extend it (not renewable, or its max TTL is reached). */
  renewable: boolean;
}

export interface VaultSessionOptions {
  http: VaultHttp;
  auth: VaultAuthConfig;
  env: Env;
  clock: Clock;
  /** Bounds a login or renewal that several callers wait on. */
  timeoutMs: number;
  /** Background renewal failures (the message names the call, never a token). */
  onRenewalError?: (error: LeashError) => void;
}

function envValue(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new LeashError("internal", `vault: environment variable ${name} is not set`, { retry: false });
  }
  return value;
}

/**
 * Leash's own Vault token. It is renewed with renew-self once two thirds of its TTL have passed (on a timer, and
 * on demand before a call); with AppRole a token that can no longer be renewed far enough is replaced by a new
 * login. Concurrent callers share one login or renewal. The token lives only in this object's memory.
 */
export class VaultSession {
  private held: Held | undefined;
  private inflight: Promise<Held> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: VaultSessionOptions) {
    if (options.auth.method === "token") envValue(options.env, options.auth.token_env);
    else envValue(options.env, options.auth.secret_id_env);
  }

  /** Logs in (or looks the configured token up) and starts the renewal timer. */
  async start(signal: AbortSignal): Promise<void> {
    await this.token(signal);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async token(signal: AbortSignal): Promise<string> {
    const held = this.held;
    if (held && !this.due(held)) return held.token;
    try {
      const aborted = () => new LeashError("provider_unavailable", "vault: aborted", { retry: true });
      return (await abortable(this.refresh(), signal, aborted)).token;
    } catch (error) {
      // A failed renewal is not yet a dead token: keep using it while it lasts; the timer tries again.
      const current = this.held;
      if (current && (current.expiresAt === null || current.expiresAt > this.options.clock.now())) {
        return current.token;
      }
      throw error;
    }
  }

  /**
   * Runs a call with Leash's token. Under AppRole a 403 may mean Vault no longer knows the token (revoked, or lost
   * with a restart): if lookup-self fails too, Leash logs in again and tries the call once more.
   */
  async attempt(call: Omit<VaultCall, "token">, signal: AbortSignal): Promise<VaultAttempt> {
    const { http, auth } = this.options;
    const token = await this.token(signal);
    const outcome = await http.attempt({ ...call, token }, signal);
    if (outcome.ok || outcome.failure.status !== 403 || auth.method !== "approle") return outcome;
    const self = await http.attempt({ method: "GET", path: "auth/token/lookup-self", token }, signal);
    if (self.ok || self.failure.status !== 403) return outcome;
    if (this.held?.token === token) this.held = undefined;
    return http.attempt({ ...call, token: await this.token(signal) }, signal);
  }

  async call(call: Omit<VaultCall, "token">, signal: AbortSignal): Promise<unknown> {
    const outcome = await this.attempt(call, signal);
    if (!outcome.ok) throw outcome.error;
    return outcome.body;
  }

  private due(held: Held): boolean {
    if (held.expiresAt === null) return false;
    // A static token that cannot be renewed is used as it is until Vault refuses it.
    if (!held.renewable && this.options.auth.method === "token") return false;
    return held.expiresAt - this.options.clock.now() <= (held.baseTtlSeconds * 1000) / 3;
  }

  private refresh(): Promise<Held> {
    if (!this.inflight) {
      const signal = AbortSignal.timeout(this.options.timeoutMs * 3);
      this.inflight = this.obtain(signal)
        .then((held) => {
          this.held = held;
          this.schedule(held);
          return held;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async obtain(signal: AbortSignal): Promise<Held> {
    const { auth } = this.options;
    const held = this.held;
    if (!held) return auth.method === "approle" ? this.login(signal) : this.lookup(signal);
    if (held.renewable) {
      const renewed = await this.renew(held, signal).catch((error: unknown) => {
        if (auth.method === "approle") return undefined;
        throw error;
      });
      // Renewal stops extending at the token's max TTL: AppRole then starts over with a new login, a static token
      // is used as it is until it expires.
      if (renewed && !this.due(renewed)) return renewed;
      if (renewed && auth.method === "token") return { ...renewed, renewable: false };
    }
    return auth.method === "approle" ? this.login(signal) : held;
  }

  private async login(signal: AbortSignal): Promise<Held> {
    const { auth, env, http } = this.options;
    if (auth.method !== "approle") throw new LeashError("internal", "vault: login needs AppRole");
    const path = `auth/${auth.mount}/login`;
    const body = await http.call(
      { method: "POST", path, body: { role_id: auth.role_id, secret_id: envValue(env, auth.secret_id_env) } },
      signal,
    );
    const { auth: granted } = parseVault(AuthResponse, body, path);
    return this.held_(
      granted.client_token,
      granted.lease_duration,
      granted.lease_duration,
      granted.renewable,
    );
  }

  private async lookup(signal: AbortSignal): Promise<Held> {
    const { auth, env, http } = this.options;
    if (auth.method !== "token") throw new LeashError("internal", "vault: lookup needs a token");
    const token = envValue(env, auth.token_env);
    const body = await http.call({ method: "GET", path: "auth/token/lookup-self", token }, signal);
    const { data } = parseVault(TokenLookup, body, "auth/token/lookup-self");
    return this.held_(token, data.ttl, data.creation_ttl || data.ttl, data.renewable ?? false);
  }

  private async renew(held: Held, signal: AbortSignal): Promise<Held> {
    const path = "auth/token/renew-self";
    const body = await this.options.http.call(
      { method: "POST", path, token: held.token, body: { increment: held.baseTtlSeconds } },
      signal,
    );
    const { auth } = parseVault(AuthResponse, body, path);
    return this.held_(held.token, auth.lease_duration, held.baseTtlSeconds, auth.renewable);
  }

  private held_(token: string, ttlSeconds: number, baseTtlSeconds: number, renewable: boolean): Held {
    const expiresAt = ttlSeconds > 0 ? this.options.clock.now() + ttlSeconds * 1000 : null;
    return { token, expiresAt, baseTtlSeconds: Math.max(baseTtlSeconds, ttlSeconds), renewable };
  }

  private schedule(held: Held, delayMs?: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || held.expiresAt === null) return;
    if (!held.renewable && this.options.auth.method === "token") return;
    const due = held.expiresAt - (held.baseTtlSeconds * 1000) / 3 - this.options.clock.now();
    this.timer = setTimeout(() => this.renewInBackground(), Math.max(0, delayMs ?? due));
    this.timer.unref();
  }

  private renewInBackground(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.refresh().catch((error: unknown) => {
      const failure =
        error instanceof LeashError
          ? error
          : new LeashError("provider_unavailable", "vault auth/token/renew-self: failed", { retry: true });
      this.options.onRenewalError?.(failure);
      // Try again soon; the token stays usable until it expires.
      const held = this.held;
      if (held) this.schedule(held, 5_000);
    });
  }
}
