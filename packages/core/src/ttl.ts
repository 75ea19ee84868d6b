export interface TtlInputs {
  /** What the agent asked for, if anything. */
  requestedSeconds: number | undefined;
  /** Used when the agent asks for nothing. */
  defaultSeconds: number;
  /** Caps from configuration, policy obligations and the provider; undefined means no cap from that source. */
  caps: ReadonlyArray<number | undefined>;
  /** The task deadline and the current time, both epoch milliseconds. */
  deadlineMs: number;
  nowMs: number;
  /**
   * The end of the break-glass grant the lease needs, when it needs one (epoch ms): access the grant gave ends with
   * it, so it caps the lease exactly as the deadline does.
   */
  grantEndMs?: number | undefined;
}

/** TTL = min(requested, caps..., time left on the task and on its grant), in whole seconds; 0: nothing may be issued. */
export function leaseTtlSeconds(inputs: TtlInputs): number {
  const end = Math.min(inputs.deadlineMs, inputs.grantEndMs ?? Number.POSITIVE_INFINITY);
  const remaining = Math.floor((end - inputs.nowMs) / 1000);
  let ttl = inputs.requestedSeconds ?? inputs.defaultSeconds;
  for (const cap of inputs.caps) if (cap !== undefined) ttl = Math.min(ttl, cap);
  return Math.max(0, Math.min(ttl, remaining));
}
