import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { rateLimited, sealedError, VaultHttpError } from "./reply.js";
import type { VaultState } from "./state.js";

/** The body of `POST /__admin/faults`; fields combine, and each call overrides only the fields it names. */
export const FaultSpec = z.strictObject({
  /** The next N `/v1/` requests (sys/health excepted) fail with `status`. */
  fail_next: z.number().int().min(0).max(1_000_000).optional(),
  status: z.number().int().min(400).max(599).optional(),
  message: z.string().min(1).max(500).optional(),
  /** Every `/v1/` response is delayed this long until cleared. */
  latency_ms: z.number().int().min(0).max(600_000).optional(),
  /** An outage: `refuse` closes the listener (ECONNREFUSED), `sealed` answers 503 `Vault is sealed`. */
  unavailable_for_ms: z.number().int().min(1).max(3_600_000).optional(),
  unavailable_mode: z.enum(["refuse", "sealed"]).optional(),
  /** Sealed until unsealed: 503 `Vault is sealed`, sys/health 503. */
  seal: z.boolean().optional(),
  /** 429 `rate limit quota exceeded` on everything but sys/health (Vault's default exempt path). */
  rate_limit: z.boolean().optional(),
});
export type FaultSpec = z.infer<typeof FaultSpec>;

const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  429: "rate limit quota exceeded",
  500: "internal error",
  502: "upstream error",
  503: "Vault is sealed",
};

export interface FaultControls {
  refuse(ms: number): void;
  resume(): Promise<void>;
}

/** Fault injection, in-process (`emulator.faults`) or through `/__admin/faults`. Windows run on real time. */
export class VaultFaults {
  private failNext = 0;
  private failStatus = 500;
  private failMessage: string | undefined;
  private latencyMs = 0;
  private sealedUntil: number | null = null;
  private rateLimit = false;

  constructor(
    private readonly state: VaultState,
    private readonly controls: FaultControls,
  ) {}

  set(input: FaultSpec): void {
    const spec = FaultSpec.parse(input);
    if (spec.fail_next !== undefined) this.failNext = spec.fail_next;
    if (spec.status !== undefined) this.failStatus = spec.status;
    if (spec.message !== undefined) this.failMessage = spec.message;
    if (spec.latency_ms !== undefined) this.latencyMs = spec.latency_ms;
    if (spec.rate_limit !== undefined) this.rateLimit = spec.rate_limit;
    if (spec.seal !== undefined) {
      this.state.sealed = spec.seal;
      this.sealedUntil = null;
    }
    if (spec.unavailable_for_ms !== undefined) {
      if ((spec.unavailable_mode ?? "refuse") === "refuse") {
        this.controls.refuse(spec.unavailable_for_ms);
      } else {
        this.state.sealed = true;
        this.sealedUntil = Date.now() + spec.unavailable_for_ms;
      }
    }
  }

  async clear(): Promise<void> {
    this.failNext = 0;
    this.failStatus = 500;
    this.failMessage = undefined;
    this.latencyMs = 0;
    this.rateLimit = false;
    this.sealedUntil = null;
    this.state.sealed = false;
    await this.controls.resume();
  }

  snapshot(): Record<string, unknown> {
    return {
      fail_next: this.failNext,
      status: this.failStatus,
      latency_ms: this.latencyMs,
      sealed: this.state.sealed,
      sealed_until: this.sealedUntil,
      rate_limit: this.rateLimit,
    };
  }

  /** Runs before each `/v1/` request: waits out the latency, then returns the error to answer with, if any. */
  async before(path: string): Promise<VaultHttpError | undefined> {
    if (this.latencyMs > 0) await delay(this.latencyMs);
    if (this.sealedUntil !== null && Date.now() >= this.sealedUntil) {
      this.sealedUntil = null;
      this.state.sealed = false;
    }
    if (path === "sys/health") return undefined;
    if (this.rateLimit) return rateLimited();
    if (this.failNext > 0) {
      this.failNext -= 1;
      if (this.failStatus === 503 && this.failMessage === undefined) return sealedError();
      const message =
        this.failMessage ?? DEFAULT_MESSAGES[this.failStatus] ?? `injected failure ${this.failStatus}`;
      return new VaultHttpError(this.failStatus, [message]);
    }
    return undefined;
  }
}
