import type { CredentialProvider } from "@leash/core";
import { z } from "zod";

/**
 * Where a process can be made to die, for the fault-injection suite. The two issuance points are the ones a random
 * `kill -9` rarely hits but the write-ahead design must survive: the lease is recorded but nothing is minted yet,
 * and a credential exists at the provider but the lease is not yet active. The two revocation points bracket the
 * provider call in the worker.
 */
export const FAILPOINT_NAMES = ["after_write_ahead", "after_mint", "before_revoke", "after_revoke"] as const;
export type FailpointName = (typeof FAILPOINT_NAMES)[number];
export type Failpoints = Partial<Record<FailpointName, number>>;

const Entry = z.tuple([z.enum(FAILPOINT_NAMES), z.coerce.number().min(0).max(1)]);

/** `LEASH_FAILPOINTS`: `name:probability` pairs separated by commas, e.g. `after_write_ahead:0.05,after_mint:0.05`. */
export const FailpointsSpec = z.string().transform((text, ctx): Failpoints => {
  const out: Failpoints = {};
  for (const part of text.split(",").filter((p) => p.trim() !== "")) {
    const parsed = Entry.safeParse(part.trim().split(":"));
    if (!parsed.success) {
      ctx.addIssue({
        code: "custom",
        message: `each entry must be name:probability with name one of ${FAILPOINT_NAMES.join(", ")} and 0 <= probability <= 1`,
      });
      return z.NEVER;
    }
    const [name, probability] = parsed.data;
    out[name] = probability;
  }
  return out;
});

export interface FailpointOptions {
  /** What "die" means; a SIGKILL to itself by default, so nothing runs after it (no finally, no exit handler). */
  crash?: (point: FailpointName) => void;
  random?: () => number;
}

function killSelf(): void {
  process.kill(process.pid, "SIGKILL");
}

/**
 * Wraps a provider so that the process dies, with the configured probability, right before a mint (the lease is
 * written ahead), right after one (the credential exists, the lease is still pending), and around a revocation.
 * For tests only: nothing enables it unless LEASH_FAILPOINTS names a point.
 */
export function withFailpoints(
  provider: CredentialProvider,
  failpoints: Failpoints,
  options: FailpointOptions = {},
): CredentialProvider {
  const crash = options.crash ?? killSelf;
  const random = options.random ?? Math.random;
  const hit = (point: FailpointName) => {
    const p = failpoints[point] ?? 0;
    if (p > 0 && random() < p) crash(point);
  };
  return {
    ...provider,
    async mint(request, signal) {
      hit("after_write_ahead");
      const minted = await provider.mint(request, signal);
      hit("after_mint");
      return minted;
    },
    async revoke(request, signal) {
      hit("before_revoke");
      const outcome = await provider.revoke(request, signal);
      hit("after_revoke");
      return outcome;
    },
  };
}
