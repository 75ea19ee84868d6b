import { type Clock, LEASH_ACTOR, type PolicySetSnapshot, startReevaluation } from "@leash/core";
import type { Producers } from "@leash/queue";
import type { Logger } from "@leash/runtime";
import type { Store } from "@leash/store";

export interface PolicyFollower {
  /**
   * Records a set this process loaded (at start-up or by an accepted reload) as the loaded one; when it replaced
   * another, starts a re-evaluation of every live lease with it (trigger `reload`, actor `leash`). Another API
   * process loading the same set finds it recorded already and starts none, so one reload starts one run.
   */
  loaded(snapshot: PolicySetSnapshot): Promise<void>;
}

export function policyFollower(deps: {
  store: Pick<Store, "policySets" | "reevaluations">;
  producers: Pick<Producers, "startReevaluation">;
  clock: Clock;
  logger: Logger;
  /** How long a set that was replaced stays readable (LEASH_LEASE_RETENTION_SECONDS). */
  keepMs: number;
}): PolicyFollower {
  let last: Promise<void> = Promise.resolve();
  const record = async (snapshot: PolicySetSnapshot) => {
    const replaced = (await deps.store.policySets.current()) !== null;
    const changed = await deps.store.policySets.put(snapshot, { current: true, keepMs: deps.keepMs });
    if (!changed || !replaced) return;
    const run = await startReevaluation(
      { reevaluations: deps.store.reevaluations, queue: deps.producers, clock: deps.clock },
      { trigger: "reload", requestedBy: LEASH_ACTOR, policySet: snapshot.id, dryRun: false },
    );
    deps.logger.info(
      { reevaluation: run.id, policy_set: snapshot.id },
      "policy set changed: re-evaluating live leases",
    );
  };
  return {
    loaded(snapshot) {
      // In the order the sets were loaded, so an older set never replaces a newer one in the store.
      const next = last.then(() => record(snapshot));
      last = next.catch(() => undefined);
      return next;
    },
  };
}
