import { badRequest } from "./reply.js";

/** One version of a key (the plugin's VersionMetadata plus the data it points to). */
export interface KvVersion {
  /** Dropped when the version is destroyed. */
  data: Readonly<Record<string, unknown>> | null;
  readonly createdTime: number;
  /** Epoch ms; a version is deleted once this has passed (a future time comes from delete_version_after). */
  deletionTime: number | null;
  destroyed: boolean;
}

/** The plugin's KeyMetadata. Times are epoch ms; durations seconds. */
export interface KvKey {
  readonly versions: Map<number, KvVersion>;
  currentVersion: number;
  /** 0 until the first version is pruned, as in the plugin. */
  oldestVersion: number;
  readonly createdTime: number;
  updatedTime: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  customMetadata: Readonly<Record<string, string>> | null;
}

export interface KvConfig {
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
}

/** backend.go defaultMaxVersions: kept versions when neither the key nor the engine sets max_versions. */
const DEFAULT_MAX_VERSIONS = 10;

/** delete_version_after.go deletionTime: the key's setting wins when shorter than the engine's; negative disables. */
function deletionTimeFor(created: number, engine: number, key: number): number | null {
  if (key < 0) return null;
  if (key > 0 && (engine <= 0 || key < engine)) return created + key * 1000;
  if (engine > 0) return created + engine * 1000;
  return null;
}

export function isDeleted(version: KvVersion, now: number): boolean {
  return version.deletionTime !== null && version.deletionTime <= now;
}

/** The immediate children of `prefix` among `keys`, folders with a trailing slash, sorted (logical.Storage List). */
export function childrenOf(keys: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf("/");
    out.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...out].sort();
}

function emptyKey(now: number): KvKey {
  return {
    versions: new Map(),
    currentVersion: 0,
    oldestVersion: 0,
    createdTime: now,
    updatedTime: now,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: null,
  };
}

/** A versioned key/value store: the state of one KV v2 mount, with the plugin's rules for writes and pruning. */
export class KvV2Store {
  readonly keys = new Map<string, KvKey>();
  readonly config: KvConfig = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };

  get(key: string): KvKey | undefined {
    return this.keys.get(key);
  }

  /** path_data.go pathDataWrite: check-and-set, a new version, then the max_versions sliding window. */
  write(
    key: string,
    data: Readonly<Record<string, unknown>>,
    cas: number | undefined,
    now: number,
  ): KvVersion {
    const meta = this.keys.get(key) ?? emptyKey(now);
    if (cas !== undefined) {
      if (cas !== meta.currentVersion) {
        throw badRequest("check-and-set parameter did not match the current version");
      }
    } else if (this.config.casRequired || meta.casRequired) {
      throw badRequest("check-and-set parameter required for this call");
    }
    const version: KvVersion = {
      data,
      createdTime: now,
      deletionTime: deletionTimeFor(now, this.config.deleteVersionAfter, meta.deleteVersionAfter),
      destroyed: false,
    };
    meta.currentVersion += 1;
    meta.versions.set(meta.currentVersion, version);
    meta.updatedTime = now;
    this.keys.set(key, meta);
    this.prune(meta);
    return version;
  }

  /** AddVersion's window: once more than max_versions are kept, the oldest go for good. */
  private prune(meta: KvKey): void {
    const configured = Math.max(meta.maxVersions, this.config.maxVersions);
    const max = configured > 0 ? configured : DEFAULT_MAX_VERSIONS;
    if (meta.currentVersion - meta.oldestVersion < max) return;
    const last = meta.currentVersion - max;
    for (let v = meta.oldestVersion; v <= last; v++) meta.versions.delete(v);
    meta.oldestVersion = last + 1;
  }

  /** The key's metadata, created empty when a metadata write comes before any data (path_metadata.go). */
  ensure(key: string, now: number): KvKey {
    const existing = this.keys.get(key);
    if (existing) return existing;
    const created = emptyKey(now);
    this.keys.set(key, created);
    return created;
  }

  /** DELETE data/:path: the latest version gets a deletion time unless it is already deleted or destroyed. */
  softDeleteLatest(key: string, now: number): void {
    const meta = this.keys.get(key);
    const latest = meta?.versions.get(meta.currentVersion);
    if (!latest || latest.destroyed || isDeleted(latest, now)) return;
    latest.deletionTime = now;
  }

  /** delete/:path, undelete/:path and destroy/:path, each over a list of versions; unknown versions are skipped. */
  changeVersions(
    key: string,
    versions: readonly number[],
    change: "delete" | "undelete" | "destroy",
    now: number,
  ) {
    const meta = this.keys.get(key);
    if (!meta) return;
    for (const number of versions) {
      const version = meta.versions.get(number);
      if (!version || version.destroyed) continue;
      if (change === "delete" && !isDeleted(version, now)) version.deletionTime = now;
      if (change === "undelete") version.deletionTime = null;
      if (change === "destroy") {
        version.destroyed = true;
        version.data = null;
      }
    }
  }
}
