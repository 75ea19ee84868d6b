import { childrenOf, isDeleted, type KvKey, type KvV2Store, type KvVersion } from "./kv-v2-store.js";
import {
  badRequest,
  envelope,
  listReply,
  NO_CONTENT,
  nothingThere,
  ok,
  unsupportedOperation,
  type VaultReply,
} from "./reply.js";
import type { Operation, RouteContext } from "./route.js";
import { goDuration, goTimestamp, parseDurationSeconds, stringMap, weakBool, weakInt } from "./values.js";

/** The `metadata` block of a data read (path_data.go pathDataRead). */
function versionMetadata(meta: KvKey, number: number, version: KvVersion): Record<string, unknown> {
  return {
    created_time: goTimestamp(version.createdTime),
    custom_metadata: meta.customMetadata,
    deletion_time: version.deletionTime === null ? "" : goTimestamp(version.deletionTime),
    destroyed: version.destroyed,
    version: number,
  };
}

function readData(store: KvV2Store, key: string, ctx: RouteContext): VaultReply {
  const meta = store.get(key);
  if (!meta) throw nothingThere();
  const asked = weakInt(ctx.query.get("version") ?? undefined, "version") ?? 0;
  const number = asked > 0 ? asked : meta.currentVersion;
  const version = meta.versions.get(number);
  if (!version) throw nothingThere();
  const data = { data: null, metadata: versionMetadata(meta, number, version) };
  // A deleted or destroyed version answers 404 but still shows its metadata.
  if (version.destroyed || isDeleted(version, ctx.state.now())) {
    return { status: 404, body: envelope({ data }) };
  }
  return ok({ data: { ...data, data: version.data } });
}

function casOf(options: unknown): number | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object" || Array.isArray(options)) throw badRequest("options must be a map");
  const cas = (options as Record<string, unknown>).cas;
  if (cas === undefined) return undefined;
  const n = typeof cas === "string" && cas.trim() !== "" ? Number(cas) : cas;
  if (typeof n !== "number" || !Number.isInteger(n))
    throw badRequest("error parsing check-and-set parameter");
  return n;
}

function writeData(store: KvV2Store, key: string, ctx: RouteContext): VaultReply {
  const data = ctx.body.data;
  if (data === undefined || data === null) throw badRequest("no data provided");
  if (typeof data !== "object" || Array.isArray(data)) {
    throw badRequest(`Field validation failed: error converting input for field "data": expected a map`);
  }
  const version = store.write(key, data as Record<string, unknown>, casOf(ctx.body.options), ctx.state.now());
  const meta = store.get(key);
  return ok({
    data: {
      version: meta?.currentVersion,
      created_time: goTimestamp(version.createdTime),
      deletion_time: version.deletionTime === null ? "" : goTimestamp(version.deletionTime),
      destroyed: false,
      custom_metadata: meta?.customMetadata ?? null,
    },
  });
}

function readMetadata(store: KvV2Store, key: string): VaultReply {
  const meta = store.get(key);
  if (!meta) throw nothingThere();
  const versions: Record<string, unknown> = {};
  for (const [number, v] of meta.versions) {
    versions[String(number)] = {
      created_time: goTimestamp(v.createdTime),
      deletion_time: v.deletionTime === null ? "" : goTimestamp(v.deletionTime),
      destroyed: v.destroyed,
    };
  }
  return ok({
    data: {
      cas_required: meta.casRequired,
      created_time: goTimestamp(meta.createdTime),
      current_version: meta.currentVersion,
      custom_metadata: meta.customMetadata,
      delete_version_after: goDuration(meta.deleteVersionAfter),
      max_versions: meta.maxVersions,
      oldest_version: meta.oldestVersion,
      updated_time: goTimestamp(meta.updatedTime),
      versions,
    },
  });
}

/** The settings a metadata or config write may change; absent fields keep their value. */
function applySettings(
  target: { maxVersions: number; casRequired: boolean; deleteVersionAfter: number },
  body: Readonly<Record<string, unknown>>,
): void {
  const max = weakInt(body.max_versions, "max_versions");
  if (max !== undefined) {
    if (max < 0) throw badRequest("max_versions must be greater than or equal to 0");
    target.maxVersions = max;
  }
  const cas = weakBool(body.cas_required, "cas_required");
  if (cas !== undefined) target.casRequired = cas;
  if (body.delete_version_after !== undefined) {
    target.deleteVersionAfter = parseDurationSeconds(body.delete_version_after, "delete_version_after");
  }
}

function writeMetadata(store: KvV2Store, key: string, ctx: RouteContext): VaultReply {
  const now = ctx.state.now();
  const meta = store.ensure(key, now);
  applySettings(meta, ctx.body);
  const custom = stringMap(ctx.body.custom_metadata, "custom_metadata");
  if (custom !== undefined) meta.customMetadata = custom;
  meta.updatedTime = now;
  return NO_CONTENT;
}

function versionsOf(body: Readonly<Record<string, unknown>>): number[] {
  const raw = body.versions;
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [];
  const numbers = list.map((v) => (typeof v === "string" ? Number(v.trim()) : v));
  if (numbers.length === 0 || !numbers.every((n) => typeof n === "number" && Number.isInteger(n))) {
    throw badRequest("no version number provided");
  }
  return numbers as number[];
}

function invalidPath(section: string, operation: Operation): VaultReply {
  const warning = ["metadata", "data", "delete", "undelete", "destroy"].includes(section)
    ? "Non-listing operations on the root of a K/V v2 mount are not supported."
    : `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${VERB[operation]}' for this operation.`;
  return { status: 404, body: envelope({ warnings: [warning] }) };
}

const VERB: Readonly<Record<Operation, string>> = {
  read: "get",
  update: "put",
  list: "list",
  delete: "delete",
};

function splitRest(rest: string): { section: string; key: string } {
  const slash = rest.indexOf("/");
  return slash === -1
    ? { section: rest, key: "" }
    : { section: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** One request under a KV v2 mount: `rest` is the path after the mount (backend.go's paths, in their order). */
export function handleKvV2(store: KvV2Store, rest: string, ctx: RouteContext): VaultReply {
  const { section, key } = splitRest(rest);
  const op = ctx.operation;
  if (section === "metadata" && op === "list") {
    return listReply(childrenOf(store.keys.keys(), key === "" ? "" : `${key}/`));
  }
  if (section === "config" && key === "") {
    if (op === "read") {
      const c = store.config;
      const data = {
        max_versions: c.maxVersions,
        cas_required: c.casRequired,
        delete_version_after: goDuration(c.deleteVersionAfter),
      };
      return ok({ data });
    }
    if (op !== "update") throw unsupportedOperation();
    applySettings(store.config, ctx.body);
    return NO_CONTENT;
  }
  if (key === "") return invalidPath(section, op);
  if (section === "data") {
    if (op === "read") return readData(store, key, ctx);
    if (op === "update") return writeData(store, key, ctx);
    if (op === "delete") {
      store.softDeleteLatest(key, ctx.state.now());
      return NO_CONTENT;
    }
    throw unsupportedOperation();
  }
  if (section === "metadata") {
    if (op === "read") return readMetadata(store, key);
    if (op === "update") return writeMetadata(store, key, ctx);
    if (op === "delete") {
      store.keys.delete(key);
      return NO_CONTENT;
    }
    throw unsupportedOperation();
  }
  if (section === "delete" || section === "undelete" || section === "destroy") {
    if (op !== "update") throw unsupportedOperation();
    store.changeVersions(key, versionsOf(ctx.body), section, ctx.state.now());
    return NO_CONTENT;
  }
  return invalidPath("", op);
}

/** Whether a write is an update (the key exists) or a create: data/ and metadata/ have existence checks. */
export function kvV2Exists(store: KvV2Store, rest: string): boolean {
  const { section, key } = splitRest(rest);
  if ((section === "data" || section === "metadata") && key !== "") return store.get(key) !== undefined;
  return true;
}
