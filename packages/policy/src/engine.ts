import { join, resolve } from "node:path";
import type { PolicyDecider, PolicyDecision, PolicyRequest, PolicySetSnapshot } from "@leash/core";
import { z } from "zod";
import type { CompiledPolicySet } from "./compile.js";
import { type ActivePolicySet, activatePolicySet, activatePolicySetGradually, decideWith } from "./decide.js";
import { loadPolicyDir, SCHEMA_FILE } from "./load.js";
import type { PolicyDirLoader } from "./off-thread.js";
import { snapshotOf } from "./snapshot.js";
import { type DebouncedWatch, watchPolicyFiles } from "./watcher.js";

export const PolicyEngineOptions = z.strictObject({
  dir: z.string().min(1),
  schemaPath: z.string().min(1).optional(),
  /** Quiet period after the last file change before reloading: an editor's save is several events. */
  debounceMs: z.number().int().min(0).max(60_000).default(200),
  onReload: z.custom<(set: CompiledPolicySet) => void>((v) => typeof v === "function").optional(),
  onReloadError: z.custom<(error: Error) => void>((v) => typeof v === "function").optional(),
  /**
   * Loads the directory on a reload (the first load always runs in the process): an `OffThreadLoader`'s keeps
   * compiling off the event loop. Defaults to loading in the process.
   */
  reloadWith: z.custom<PolicyDirLoader>((v) => typeof v === "function").optional(),
});
export type PolicyEngineOptions = z.input<typeof PolicyEngineOptions>;

export interface PolicyEngineStats {
  policies: number;
  files: readonly string[];
  loadedAt: Date;
  reloads: number;
  reloadErrors: number;
  lastReloadError: string | undefined;
  decisions: number;
  allowed: number;
  denied: number;
  /** Decisions that were denied because of an evaluation or request error. */
  errored: number;
}

export type ReloadResult = { ok: true; policies: number } | { ok: false; error: Error };

export interface PolicyEngine extends PolicyDecider {
  decide(request: PolicyRequest): PolicyDecision;
  /** Loads the directory again; the new set replaces the old one only if all of it is valid. */
  reload(): Promise<ReloadResult>;
  /** Reloads whenever a policy file or the schema changes. Idempotent. */
  watch(): void;
  /** Stops watching. Idempotent; decisions keep working with the current set. */
  close(): void;
  /** The set in use as text, under the id its decisions carry (`policySet`). */
  snapshot(): PolicySetSnapshot;
  readonly stats: PolicyEngineStats;
}

let engines = 0;
/** Loads with `reloadWith` at start, their results dropped: the first ones on a fresh thread are several times slower. */
const WARM_LOADS = 2;

/**
 * Loads and validates the policy directory, then decides requests against it. Parsing happens at load, never
 * per request. Fails to start (throws PolicyLoadError) if the set is invalid: no policy means no credential.
 */
export async function createPolicyEngine(options: PolicyEngineOptions): Promise<PolicyEngine> {
  const config = PolicyEngineOptions.parse(options);
  const dir = resolve(config.dir);
  const schemaPath = resolve(config.schemaPath ?? join(dir, SCHEMA_FILE));
  // Two cache slots per engine: a reload fills the idle one and swaps, so the set in use is never modified
  // and the Cedar cache holds at most two sets per engine however often the files change.
  const engine = ++engines;
  const slots = [`leash-policy-${engine}-a`, `leash-policy-${engine}-b`] as const;
  let slot: 0 | 1 = 0;
  let active: ActivePolicySet = activatePolicySet(slots[slot], await loadPolicyDir(dir, { schemaPath }));
  let activeId = snapshotOf(active.compiled).id;
  // Loads on another thread start cold (Cedar's wasm and the JIT): warm it now, not in the first reload's path.
  const warmUp = config.reloadWith;
  if (warmUp)
    void (async () => {
      for (let round = 0; round < WARM_LOADS; round++)
        await warmUp(dir, { schemaPath }).catch(() => undefined);
    })();
  const counters = { reloads: 0, reloadErrors: 0, decisions: 0, allowed: 0, denied: 0, errored: 0 };
  let loadedAt = new Date();
  let lastReloadError: string | undefined;
  let watcher: DebouncedWatch | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const reportError = (error: Error) => {
    counters.reloadErrors += 1;
    lastReloadError = error.message;
    try {
      config.onReloadError?.(error);
    } catch {
      // A failing listener must not take policy reloading down with it.
    }
  };

  const reloadNow = async (): Promise<ReloadResult> => {
    try {
      const compiled = await (config.reloadWith ?? loadPolicyDir)(dir, { schemaPath });
      const next: 0 | 1 = slot === 0 ? 1 : 0;
      // Into the idle slot, an action at a time: decisions keep using the set in use until the swap.
      active = await activatePolicySetGradually(slots[next], compiled);
      activeId = snapshotOf(compiled).id;
      slot = next;
      counters.reloads += 1;
      loadedAt = new Date();
      try {
        config.onReload?.(compiled);
      } catch {
        // See reportError.
      }
      return { ok: true, policies: compiled.policies.size };
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      reportError(error);
      return { ok: false, error };
    }
  };

  // Reloads run one at a time, so a slow older load can never replace a newer set.
  const reload = (): Promise<ReloadResult> => {
    const result = queue.then(reloadNow);
    queue = result;
    return result;
  };

  return {
    decide(request) {
      const decision: PolicyDecision = { ...decideWith(active, request), policySet: activeId };
      counters.decisions += 1;
      if (decision.allowed) counters.allowed += 1;
      else counters.denied += 1;
      if (decision.errors.length > 0) counters.errored += 1;
      return decision;
    },
    reload,
    snapshot: () => snapshotOf(active.compiled),
    watch() {
      if (watcher !== undefined) return;
      watcher = watchPolicyFiles({
        dir,
        schemaPath,
        debounceMs: config.debounceMs,
        onChange: () => void reload(),
        onError: reportError,
      });
    },
    close() {
      watcher?.close();
      watcher = undefined;
    },
    get stats(): PolicyEngineStats {
      return {
        ...counters,
        policies: active.compiled.policies.size,
        files: active.compiled.files,
        loadedAt,
        lastReloadError,
      };
    },
  };
}
