import { describe, expect, it } from "vitest";
import type { Lease, ProviderName } from "../lease.js";
import type { LeaseStore } from "../ports.js";
import type { CredentialProvider } from "../provider.js";
import { revokeLease } from "./revoke.js";

const NOW = Date.UTC(2026, 0, 1);

const revoking: Lease = {
  id: "ls_1",
  taskId: "tk_1",
  agent: "spiffe://t/agent/a",
  provider: "vault",
  target: "db",
  intent: { action: "read", resource: "secret/a" },
  scope: [],
  state: "revoking",
  issuedAt: NOW - 1_000,
  expiresAt: NOW + 60_000,
  revokedAt: null,
  revokeReason: "security",
  revokeRequestedAt: NOW,
  handle: null,
  providerExpiresAt: null,
  breakGlass: false,
};

describe("revokeLease cancellation", () => {
  it("hands the caller's signal to the provider: aborting it aborts the revocation in flight", async () => {
    const seen: AbortSignal[] = [];
    const vault: CredentialProvider = {
      name: "vault",
      maxTtlSeconds: () => undefined,
      validate: () => undefined,
      mint: () => Promise.reject(new Error("not used")),
      revoke: (_request, signal) =>
        new Promise((_resolve, reject) => {
          seen.push(signal);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        }),
      reclaim: () => Promise.resolve(),
    };
    const failed: string[] = [];
    const leases = {
      get: async () => revoking,
      markRevokeFailed: async (id: string) => {
        failed.push(id);
        return true;
      },
    } as unknown as LeaseStore;
    const stop = new AbortController();
    const revocation = revokeLease(
      {
        leases,
        providers: new Map<ProviderName, CredentialProvider>([["vault", vault]]),
        audit: { append: async () => undefined },
        clock: { now: () => NOW },
        timeoutMs: 600_000,
      },
      "ls_1",
      stop.signal,
    );
    await expect.poll(() => seen.length).toBe(1);
    stop.abort(new Error("stopping"));
    await expect(revocation).rejects.toMatchObject({ code: "provider_unavailable" });
    expect(seen[0]?.aborted).toBe(true);
    expect(failed).toEqual(["ls_1"]);
  });
});
