import { invalidToken, type VaultReply } from "./reply.js";
import type { TokenEntry, VaultState } from "./state.js";

/** Vault's logical operations: GET is read, PUT/POST update, LIST (or GET ?list=true) list, DELETE delete. */
export type Operation = "read" | "update" | "list" | "delete";

export interface RouteContext {
  readonly state: VaultState;
  readonly operation: Operation;
  /** The request path after `/v1/`, without a trailing slash. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
  readonly query: URLSearchParams;
  /** The authenticated token; undefined only on unauthenticated routes. */
  readonly caller: TokenEntry | undefined;
  /** Whether the caller holds `sudo` on this path (a root token always does). */
  readonly sudo: boolean;
}

type Handler = (ctx: RouteContext) => VaultReply;

export interface Route {
  readonly pattern: RegExp;
  /** Login and health endpoints take no token. */
  readonly unauthenticated?: boolean;
  /**
   * Unauthenticated paths that still look at a token when one is sent (sys/internal/ui/mounts): the handler gets
   * the caller, if any, and does its own check; no ACL, no use counted.
   */
  readonly tokenOptional?: boolean;
  /** Root-protected paths need the `sudo` capability on top of the operation's own. */
  readonly sudo?: boolean;
  readonly handlers: Partial<Record<Operation, Handler>>;
  /**
   * The path's existence check (framework.Path ExistenceCheck): a write to something that does not exist yet is a
   * create and needs the `create` capability instead of `update`. Paths without one are always updates.
   */
  readonly exists?: (state: VaultState, params: Readonly<Record<string, string>>) => boolean;
}

export function callerOf(ctx: RouteContext): TokenEntry {
  if (!ctx.caller) throw invalidToken();
  return ctx.caller;
}

export function isRoot(token: TokenEntry): boolean {
  return token.policies.includes("root");
}
