import { capabilitiesOn } from "./acl.js";
import { handleKvV1 } from "./kv-v1.js";
import { handleKvV2, kvV2Exists } from "./kv-v2.js";
import { KvV2Store } from "./kv-v2-store.js";
import { type MountEntry, type MountTable, mountInfo } from "./mount-table.js";
import {
  badRequest,
  envelope,
  invalidToken,
  NO_CONTENT,
  ok,
  VaultHttpError,
  type VaultReply,
} from "./reply.js";
import { isRoot, type Route, type RouteContext } from "./route.js";
import type { TokenEntry, VaultState } from "./state.js";
import { stringMap, weakString } from "./values.js";

/**
 * sys/mounts and sys/mounts/:path are among http/handler.go's injectDataIntoTopRoutes: for old clients, the keys of
 * `data` are repeated at the top level of the body (logical.HTTPSysInjector).
 */
function injected(data: Record<string, unknown>): VaultReply {
  return { status: 200, body: { ...data, ...envelope({ data }) } };
}

function listMounts(ctx: RouteContext): VaultReply {
  const data: Record<string, unknown> = {};
  for (const mount of ctx.state.mounts.list()) data[mount.path] = mountInfo(mount);
  return injected(data);
}

function withSlash(path: string): string {
  return path.endsWith("/") ? path : `${path}/`;
}

function readMount(ctx: RouteContext): VaultReply {
  const path = withSlash(ctx.params.path ?? "");
  const mount = ctx.state.mounts.match(path);
  if (!mount) throw badRequest(`No secret engine mount at ${path}`);
  return injected(mountInfo(mount));
}

function enableMount(ctx: RouteContext): VaultReply {
  const type = weakString(ctx.body.type, "type") ?? "";
  if (type === "") throw badRequest("backend type must be specified as a string");
  const description = weakString(ctx.body.description, "description") ?? "";
  const options = stringMap(ctx.body.options, "options") ?? null;
  ctx.state.mounts.enable(ctx.params.path ?? "", type, description, options);
  return NO_CONTENT;
}

/**
 * logical_system.go hasMountAccess: root, any capability on the mount path itself, or any non-deny rule on a path
 * under it.
 */
function hasMountAccess(state: VaultState, caller: TokenEntry, mountPath: string): boolean {
  if (isRoot(caller)) return true;
  const policies = state.policyRules(caller.policies);
  if (capabilitiesOn(policies, mountPath).size > 0) return true;
  return policies.some((rules) =>
    rules.some((rule) => rule.path.startsWith(mountPath) && !rule.capabilities.includes("deny")),
  );
}

/**
 * sys/internal/ui/mounts/:path, the CLI's preflight (`vault kv get` reads the KV version from it): the mount's info
 * and path to a token that can reach something under it, the same 403 for everything else so it cannot be used
 * to discover mounts (pathInternalUIMountRead).
 */
function uiMount(ctx: RouteContext): VaultReply {
  const path = withSlash(ctx.params.path ?? "");
  const denied = new VaultHttpError(403, [
    `preflight capability check returned 403, please ensure client's policies grant access to path "${path}"`,
  ]);
  const mount = ctx.state.mounts.match(path);
  if (!mount) throw denied;
  if (!ctx.caller) throw invalidToken();
  if (!hasMountAccess(ctx.state, ctx.caller, mount.path)) throw denied;
  return ok({ data: { ...mountInfo(mount), path: mount.path } });
}

export const mountRoutes: readonly Route[] = [
  { pattern: /^sys\/mounts$/, handlers: { read: listMounts } },
  {
    pattern: /^sys\/mounts\/(?<path>.+)$/s,
    handlers: {
      read: readMount,
      update: enableMount,
      delete(ctx) {
        ctx.state.mounts.disable(ctx.params.path ?? "");
        return NO_CONTENT;
      },
    },
  },
  { pattern: /^sys\/internal\/ui\/mounts\/(?<path>.+)$/s, tokenOptional: true, handlers: { read: uiMount } },
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The route serving one KV mount: everything under its path, dispatched by version. */
function kvRoute(mount: MountEntry): Route | undefined {
  const store = mount.kv;
  if (!store) return undefined;
  const pattern = new RegExp(`^${escapeRegExp(mount.path.slice(0, -1))}(?:/(?<rest>.*))?$`, "s");
  const handle = (ctx: RouteContext) =>
    store instanceof KvV2Store
      ? handleKvV2(store, ctx.params.rest ?? "", ctx)
      : handleKvV1(store, ctx.params.rest ?? "", ctx);
  return {
    pattern,
    handlers: { read: handle, update: handle, list: handle, delete: handle },
    exists: (_state, params) =>
      store instanceof KvV2Store
        ? kvV2Exists(store, params.rest ?? "")
        : store.entries.has(params.rest ?? ""),
  };
}

const routeCache = new WeakMap<MountEntry, Route>();

/** The routes of the KV mounts in the table now (each built once per mount). */
export function kvRoutes(table: MountTable): Route[] {
  const routes: Route[] = [];
  for (const mount of table.list()) {
    let route = routeCache.get(mount);
    if (!route) {
      route = kvRoute(mount);
      if (route) routeCache.set(mount, route);
    }
    if (route) routes.push(route);
  }
  return routes;
}
