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
}

/** TTL = min(requested, caps..., time left on the task), in whole seconds; 0 means nothing may be issued. */
export function leaseTtlSeconds(inputs: TtlInputs): number {
  const remaining = Math.floor((inputs.deadlineMs - inputs.nowMs) / 1000);
  let ttl = inputs.requestedSeconds ?? inputs.defaultSeconds;
  for (const cap of inputs.caps) if (cap !== undefined) ttl = Math.min(ttl, cap);
  return Math.max(0, Math.min(ttl, remaining));
}
