import { z } from "zod";
import type { Clock } from "./types.js";

/** `unknown`: whether the token was revoked cannot be known now; the caller refuses (fails closed). */
export type RevocationStatus = "live" | "revoked" | "unknown";

/** How the kit learns that a token's lease ended before its `exp`. */
export interface RevocationCheck {
  status(token: { leaseId: string; expiresAt: number }): RevocationStatus | Promise<RevocationStatus>;
}

export interface RevocationFeedOptions {
  /** `leash_revoked_tokens_endpoint` from the authorization server metadata. */
  endpoint: string;
  clock: Clock;
  fetch?: typeof fetch;
  /** How often to poll (default 200 ms). */
  refreshMs?: number;
  /** How old the view may be before every token counts as unknown (default 700 ms). */
  maxStalenessMs?: number;
  /** How long past its `exp` an entry is kept, for clocks behind Leash's (default 60 s, the feed's own). */
  retentionSkewMs?: number;
  /** Poll failures the feed recovers from by itself, for logs. */
  onError?: (error: Error) => void;
}

export interface RevocationFeed extends RevocationCheck {
  /** Reads what the feed recorded since the last refresh (every page); one refresh at a time. */
  refresh(signal?: AbortSignal): Promise<void>;
  /** Polls until closed; resolves once the view is current, rejects if `signal` aborts first. */
  start(signal?: AbortSignal): Promise<void>;
  close(): void;
}

const Page = z.object({
  revoked: z.array(z.object({ jti: z.string().min(1), exp: z.number() })),
  cursor: z.string(),
  has_more: z.boolean(),
});

/** A page is at most 1000 entries: this many pages in one refresh is a feed that never ends, not a backlog. */
const MAX_PAGES = 10_000;

/**
 * The view of ended tokens a resource server keeps from Leash's feed (see the README's contract). It is current
 * while its last successful refresh was *sent* within `maxStalenessMs`: a revocation recorded before that instant
 * is in what the refresh read, so a token revoked at t is refused from t + maxStalenessMs at the latest.
 */
export function createRevocationFeed(opts: RevocationFeedOptions): RevocationFeed {
  const fetchFn = opts.fetch ?? fetch;
  const { clock } = opts;
  const refreshMs = opts.refreshMs ?? 200;
  const maxStalenessMs = opts.maxStalenessMs ?? 700;
  const retentionSkewMs = opts.retentionSkewMs ?? 60_000;
  /** jti -> epoch ms after which the entry no longer matters. */
  const revoked = new Map<string, number>();
  let cursor: string | undefined;
  let currentAsOf = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const waiters = new Set<() => void>();

  async function page(signal: AbortSignal): Promise<boolean> {
    const url = new URL(opts.endpoint);
    if (cursor !== undefined) url.searchParams.set("after", cursor);
    const timeout = AbortSignal.timeout(maxStalenessMs);
    const response = await fetchFn(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.any([signal, timeout]),
      redirect: "error",
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`revocation feed answered ${response.status}`);
    }
    const parsed = Page.safeParse(await response.json());
    if (!parsed.success) throw new Error("revocation feed answered a malformed page");
    for (const entry of parsed.data.revoked) revoked.set(entry.jti, entry.exp * 1000 + retentionSkewMs);
    cursor = parsed.data.cursor;
    return parsed.data.has_more;
  }

  function prune(now: number): void {
    for (const [jti, until] of revoked) if (until < now) revoked.delete(jti);
  }

  async function refreshOnce(signal: AbortSignal): Promise<void> {
    const sentAt = clock.now();
    for (let pages = 0; await page(signal); pages += 1) {
      if (pages >= MAX_PAGES) throw new Error("revocation feed keeps answering has_more");
    }
    currentAsOf = Math.max(currentAsOf, sentAt);
    prune(clock.now());
    for (const wake of waiters) wake();
  }

  function refresh(signal: AbortSignal = new AbortController().signal): Promise<void> {
    inFlight ??= refreshOnce(signal).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function loop(): void {
    if (closed) return;
    const startedAt = Date.now();
    refresh()
      .catch((error: unknown) => opts.onError?.(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        if (closed) return;
        timer = setTimeout(loop, Math.max(0, refreshMs - (Date.now() - startedAt)));
        timer.unref();
      });
  }

  return {
    status(token) {
      if (revoked.has(token.leaseId)) return "revoked";
      return clock.now() - currentAsOf <= maxStalenessMs ? "live" : "unknown";
    },
    refresh,
    async start(signal) {
      const current = new Promise<void>((resolve, reject) => {
        const done = () => {
          waiters.delete(done);
          signal?.removeEventListener("abort", abort);
          resolve();
        };
        const abort = () => {
          waiters.delete(done);
          reject(signal?.reason);
        };
        if (signal?.aborted) return abort();
        signal?.addEventListener("abort", abort, { once: true });
        waiters.add(done);
      });
      loop();
      return current;
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
