import { randomBytes, randomUUID } from "node:crypto";
import { KvV1Store } from "./kv-v1-store.js";
import { KvV2Store } from "./kv-v2-store.js";
import { VaultHttpError } from "./reply.js";

/** The engines this emulator can mount; `kv` is v1 or v2 by `options.version`, as in Vault. */
type KvStore = KvV1Store | KvV2Store;

export interface MountEntry {
  /** With its trailing slash: `secret/`. */
  readonly path: string;
  readonly type: string;
  readonly description: string;
  readonly accessor: string;
  readonly uuid: string;
  readonly options: Readonly<Record<string, string>> | null;
  readonly runningPluginVersion: string;
  /** Present on `kv` mounts only. */
  readonly kv: KvStore | undefined;
}

/** Vault refuses to mount under these (mount.go protectedMounts). */
const PROTECTED = ["audit/", "auth/", "sys/", "cubbyhole/", "identity/"];

const BUILTIN_VERSION: Readonly<Record<string, string>> = {
  kv: "v0.18.0+builtin",
  system: "v1.17.0+builtin.vault",
  database: "v1.17.0+builtin.vault",
};

/** `kv_aedd93c1`: the type, then eight hex digits (mount.go generateMountAccessor). */
function accessorFor(type: string): string {
  return `${type}_${randomBytes(4).toString("hex")}`;
}

function entry(path: string, type: string, description: string, options: Record<string, string> | null) {
  const version = type === "kv" ? (options?.version ?? "1") : undefined;
  return {
    path,
    type,
    description,
    accessor: accessorFor(type),
    uuid: randomUUID(),
    options,
    runningPluginVersion: BUILTIN_VERSION[type] ?? "",
    kv: version === undefined ? undefined : version === "2" ? new KvV2Store() : new KvV1Store(),
  } satisfies MountEntry;
}

/**
 * The secrets-engine mount table. It starts as `vault server -dev` leaves it for the engines this emulator serves:
 * a KV v2 engine at `secret/`, the system backend at `sys/`, and the database engine at `database/` (cubbyhole and
 * identity are not emulated, so they are not listed).
 */
export class MountTable {
  private readonly entries = new Map<string, MountEntry>();

  constructor() {
    this.add(entry("sys/", "system", "system endpoints used for control, policy and debugging", null));
    this.add(entry("secret/", "kv", "key/value secret storage", { version: "2" }));
    this.add(entry("database/", "database", "", null));
  }

  list(): readonly MountEntry[] {
    return [...this.entries.values()];
  }

  /** The mount a request path falls under: the longest mount path that prefixes it. */
  match(path: string): MountEntry | undefined {
    const withSlash = path.endsWith("/") ? path : `${path}/`;
    let best: MountEntry | undefined;
    for (const mount of this.entries.values()) {
      if (withSlash.startsWith(mount.path) && (!best || mount.path.length > best.path.length)) best = mount;
    }
    return best;
  }

  /** sys/mounts/:path POST. `kv-v1`/`kv-v2` are aliases of `kv` with the version set (logical_system.go). */
  enable(rawPath: string, type: string, description: string, options: Record<string, string> | null): void {
    const path = rawPath.endsWith("/") ? rawPath : `${rawPath}/`;
    let logicalType = type;
    let opts = options;
    if (type === "kv-v1" || type === "kv-v2") {
      logicalType = "kv";
      opts = { ...(options ?? {}), version: type === "kv-v1" ? "1" : "2" };
    }
    if (logicalType !== "kv") throw new VaultHttpError(400, [`plugin not found in the catalog: ${type}`]);
    const version = opts?.version;
    if (version !== undefined && version !== "1" && version !== "2") {
      throw new VaultHttpError(400, [`invalid KV version: ${version}`]);
    }
    if (PROTECTED.some((p) => path.startsWith(p))) {
      throw new VaultHttpError(403, [`cannot mount ${JSON.stringify(path)}`]);
    }
    for (const existing of this.entries.values()) {
      if (existing.path.startsWith(path) || path.startsWith(existing.path)) {
        throw new VaultHttpError(409, [`path is already in use at ${existing.path}`]);
      }
    }
    this.add(entry(path, logicalType, description, opts));
  }

  /** sys/mounts/:path DELETE: succeeds whether or not something was mounted there (so nothing leaks). */
  disable(rawPath: string): void {
    const path = rawPath.endsWith("/") ? rawPath : `${rawPath}/`;
    if (PROTECTED.some((p) => path.startsWith(p)) || path === "database/") {
      throw new VaultHttpError(400, [`cannot unmount ${JSON.stringify(path)}`]);
    }
    this.entries.delete(path);
  }

  private add(mount: MountEntry): void {
    this.entries.set(mount.path, mount);
  }
}

/** logical_system.go mountInfo: one entry of `sys/mounts`. */
export function mountInfo(mount: MountEntry): Record<string, unknown> {
  return {
    type: mount.type,
    description: mount.description,
    accessor: mount.accessor,
    local: false,
    seal_wrap: false,
    external_entropy_access: false,
    options: mount.options,
    uuid: mount.uuid,
    plugin_version: "",
    running_plugin_version: mount.runningPluginVersion,
    running_sha256: "",
    ...(mount.type === "system" ? {} : { deprecation_status: "supported" }),
    config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
  };
}
