import { z } from "zod";

/** One secrets engine of `GET /v1/sys/mounts`: only what the KV reader needs. */
const Mount = z.object({
  type: z.string(),
  options: z.object({ version: z.string().optional() }).nullable().optional(),
});

/** Where a `<mount>/<path>` secret lives: the mount (with its trailing `/`), the path inside it, the KV version. */
export interface KvLocation {
  mount: string;
  path: string;
  version: 1 | 2;
}

export type KvMounts = ReadonlyMap<string, { type: string; version: 1 | 2 }>;

/**
 * Parses `GET /v1/sys/mounts`. Vault answers with the mounts at the top level and again under `data` (the
 * response wrapper); either is read. Entries that are not engines (`request_id`, `lease_id`, ...) are skipped.
 */
export function parseMounts(body: unknown): KvMounts {
  const mounts = new Map<string, { type: string; version: 1 | 2 }>();
  if (typeof body !== "object" || body === null) return mounts;
  const data = (body as { data?: unknown }).data;
  const table = typeof data === "object" && data !== null ? data : body;
  for (const [path, value] of Object.entries(table)) {
    const parsed = Mount.safeParse(value);
    if (!parsed.success || !path.endsWith("/")) continue;
    mounts.set(path, { type: parsed.data.type, version: parsed.data.options?.version === "2" ? 2 : 1 });
  }
  return mounts;
}

/**
 * The KV engine that serves `logical` (`<mount>/<path>`, as `vault kv get` takes it): the longest mount path that
 * prefixes it, as Vault's router picks. Undefined when no mount matches or the one that does is not KV.
 */
export function locate(mounts: KvMounts, logical: string): KvLocation | undefined {
  let best: string | undefined;
  for (const mount of mounts.keys()) {
    if (`${logical}/`.startsWith(mount) && mount.length > (best?.length ?? 0)) best = mount;
  }
  const engine = best === undefined ? undefined : mounts.get(best);
  // Vault before 0.10 named the KV v1 engine "generic".
  if (best === undefined || !engine || (engine.type !== "kv" && engine.type !== "generic")) return undefined;
  const path = logical.slice(best.length);
  return path === "" ? undefined : { mount: best, path, version: engine.version };
}

/** The API path (relative to /v1/) that reads a located secret: KV v2 puts `data/` after the mount. */
export function readPath(at: KvLocation): string {
  return at.version === 2 ? `${at.mount}data/${at.path}` : `${at.mount}${at.path}`;
}

const V2Read = z.object({ data: z.object({ data: z.record(z.string(), z.unknown()).nullable() }) });
const V1Read = z.object({ data: z.record(z.string(), z.unknown()) });

/** The secret's fields from a read answer; undefined when the shape is not Vault's (or a v2 secret was deleted). */
export function fieldsOf(at: KvLocation, body: unknown): Readonly<Record<string, unknown>> | undefined {
  if (at.version === 2) {
    const parsed = V2Read.safeParse(body);
    return parsed.success ? (parsed.data.data.data ?? undefined) : undefined;
  }
  const parsed = V1Read.safeParse(body);
  return parsed.success ? parsed.data.data : undefined;
}
