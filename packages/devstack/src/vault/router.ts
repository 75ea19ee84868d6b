import { type Capability, capabilitiesOn } from "./acl.js";
import { engineRoutes, notFound } from "./engines.js";
import { leaseRoutes } from "./leases.js";
import { kvRoutes, mountRoutes } from "./mounts.js";
import { aclDenied, invalidToken, sealedError, unsupportedOperation, type VaultReply } from "./reply.js";
import { isRoot, type Operation, type Route } from "./route.js";
import type { TokenEntry, VaultState } from "./state.js";
import { tokenRoutes } from "./tokens.js";

const ROUTES: readonly Route[] = [...tokenRoutes, ...leaseRoutes, ...engineRoutes, ...mountRoutes];

/** Paths that answer while sealed, as Vault's own do. */
const SEAL_EXEMPT = new Set(["sys/health", "sys/seal-status"]);

export interface VaultRequest {
  method: string;
  /** The path after `/v1/`. */
  path: string;
  query: URLSearchParams;
  /** From `X-Vault-Token`, else `Authorization: Bearer`. */
  token: string | undefined;
  body: Readonly<Record<string, unknown>>;
}

function operationOf(method: string, query: URLSearchParams): Operation {
  switch (method) {
    case "GET":
    case "HEAD": {
      const list = query.get("list");
      return list === "true" || list === "1" || list === "t" ? "list" : "read";
    }
    case "LIST":
      return "list";
    case "PUT":
    case "POST":
      return "update";
    case "DELETE":
      return "delete";
    default:
      throw unsupportedOperation();
  }
}

/**
 * The capabilities the caller holds for this request. Vault adds a trailing slash to a list request's path and
 * tries an exact rule without it too (acl.go AllowOperation), so `secret/metadata/*` allows `LIST secret/metadata`.
 */
function capabilitiesFor(state: VaultState, caller: TokenEntry, path: string, operation: Operation) {
  const policies = state.policyRules(caller.policies);
  if (operation !== "list") return capabilitiesOn(policies, path);
  const listed = capabilitiesOn(policies, `${path}/`);
  return listed.size > 0 ? listed : capabilitiesOn(policies, path);
}

/** A write to a path with an existence check needs `create` when nothing is there yet (request_handling.go). */
function requiredCapability(
  state: VaultState,
  route: Route,
  params: Readonly<Record<string, string>>,
  operation: Operation,
): Capability {
  if (operation === "update" && route.exists && !route.exists(state, params)) return "create";
  return operation;
}

/** One Vault request, start to end: expiry sweep, seal, token, route, ACL, handler, use count. No I/O. */
export function handleVaultRequest(state: VaultState, request: VaultRequest): VaultReply {
  state.sweep();
  const path = request.path.replace(/\/+$/, "");
  const operation = operationOf(request.method, request.query);
  if (state.sealed && !SEAL_EXEMPT.has(path)) throw sealedError();

  const matches: { route: Route; params: Record<string, string> }[] = [];
  for (const route of [...kvRoutes(state.mounts), ...ROUTES]) {
    const m = route.pattern.exec(path);
    if (m) matches.push({ route, params: { ...(m.groups ?? {}) } });
  }
  const found = matches.find((m) => m.route.handlers[operation] !== undefined);
  const unauthenticated = found?.route.unauthenticated === true;
  const tokenOptional = found?.route.tokenOptional === true;

  const caller = unauthenticated || request.token === undefined ? undefined : state.token(request.token);
  if (!unauthenticated && !tokenOptional && !caller) throw invalidToken();
  if (!found) {
    if (matches.length > 0) throw unsupportedOperation();
    throw notFound(path);
  }
  const handler = found.route.handlers[operation];
  if (!handler) throw notFound(path);

  let sudo = false;
  if (caller && !tokenOptional) {
    if (isRoot(caller)) {
      sudo = true;
    } else {
      const caps = capabilitiesFor(state, caller, path, operation);
      sudo = caps.has("sudo");
      if (!caps.has(requiredCapability(state, found.route, found.params, operation))) throw aclDenied();
      if (found.route.sudo === true && !sudo) throw aclDenied();
    }
  }

  // A use-limited token loses a use per request and is revoked once the last use is spent (token_store.go UseToken).
  let lastUse = false;
  if (caller && !tokenOptional && caller.numUses > 0) {
    caller.numUses -= 1;
    lastUse = caller.numUses === 0;
  }
  try {
    return handler({
      state,
      operation,
      path,
      params: found.params,
      body: request.body,
      query: request.query,
      caller,
      sudo,
    });
  } finally {
    if (caller && lastUse) state.revokeToken(caller.id);
  }
}
