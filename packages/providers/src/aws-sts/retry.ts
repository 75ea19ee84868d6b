import { sleep } from "@leash/core";

/** Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
function backoffMs(attempt: number, random: () => number, baseMs = 100, capMs = 2_000): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}

/** Runs `call` up to `attempts` times while `retryable` says the failure is worth another try. */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: {
    attempts: number;
    signal: AbortSignal;
    retryable: (error: unknown) => boolean;
    random?: () => number;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error) || options.signal.aborted) throw error;
      await sleep(backoffMs(attempt, options.random ?? Math.random), options.signal);
    }
  }
}
