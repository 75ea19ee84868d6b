import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultEmulator, type VaultEmulator } from "./index.js";
import type { LedgerLease, LedgerToken } from "./ledger.js";

let emulator: VaultEmulator;
let now = Date.now();
const clock = { now: () => now };

beforeAll(async () => {
  emulator = await startVaultEmulator({
    clock,
    policies: { db: [{ path: "database/creds/readonly", capabilities: ["read"] }] },
    databaseRoles: { readonly: { default_ttl: 600, max_ttl: 3600 } },
  });
});
afterAll(async () => {
  await emulator?.stop();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${emulator.url}/v1/${path}`, {
    method,
    headers: { "x-vault-token": token, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as Record<string, never>) };
}

async function createToken(meta: Record<string, string>, ttl = "60s") {
  const res = await call("POST", "auth/token/create-orphan", emulator.rootToken, {
    policies: ["db"],
    meta,
    ttl,
    explicit_max_ttl: ttl,
  });
  const auth = (res.body as unknown as { auth: { client_token: string; accessor: string } }).auth;
  return { token: auth.client_token, accessor: auth.accessor };
}

async function ledger(): Promise<{ tokens: LedgerToken[]; leases: LedgerLease[] }> {
  const res = await fetch(`${emulator.url}/__admin/ledger`);
  expect(res.status).toBe(200);
  return (await res.json()) as { tokens: LedgerToken[]; leases: LedgerLease[] };
}

describe("Vault ledger: every token and secret ever issued, with when it stopped working", () => {
  it("a revoked token keeps its ledger entry, with the revocation instant and its meta; never the token", async () => {
    const live = await createToken({ leash_lease_id: "ls-live" });
    const gone = await createToken({ leash_lease_id: "ls-gone" });
    now += 1_000;
    const revokedAt = now;
    expect((await call("POST", "auth/token/revoke-accessor", emulator.rootToken, gone)).status).toBe(204);
    const { tokens } = await ledger();
    expect(tokens.find((t) => t.accessor === gone.accessor)).toMatchObject({
      meta: { leash_lease_id: "ls-gone" },
      ended_at: revokedAt,
      alive: false,
    });
    expect(tokens.find((t) => t.accessor === live.accessor)).toMatchObject({ ended_at: null, alive: true });
    expect(JSON.stringify(tokens)).not.toContain(gone.token);
  });

  it("an expired token ended at its expiry, however late the emulator noticed, and so did its secret", async () => {
    const reader = await createToken({ leash_lease_id: "ls-expiring" }, "10s");
    const creds = await call("GET", "database/creds/readonly", reader.token);
    const leaseId = (creds.body as unknown as { lease_id: string }).lease_id;
    const created = (await ledger()).tokens.find((t) => t.accessor === reader.accessor);
    now += 60_000;
    const { tokens, leases } = await ledger();
    const token = tokens.find((t) => t.accessor === reader.accessor);
    expect(token).toMatchObject({ alive: false, ended_at: created?.expire_at });
    expect(leases.find((l) => l.lease_id === leaseId)).toMatchObject({
      token_accessor: reader.accessor,
      alive: false,
      ended_at: created?.expire_at,
    });
  });

  it("a dynamic secret revoked by lease id is dead while its reader token lives on", async () => {
    const reader = await createToken({ leash_lease_id: "ls-db" });
    const creds = await call("GET", "database/creds/readonly", reader.token);
    const leaseId = (creds.body as unknown as { lease_id: string }).lease_id;
    expect((await ledger()).leases.find((l) => l.lease_id === leaseId)?.alive).toBe(true);
    now += 500;
    await call("PUT", "sys/leases/revoke", emulator.rootToken, { lease_id: leaseId });
    const { tokens, leases } = await ledger();
    expect(leases.find((l) => l.lease_id === leaseId)).toMatchObject({ alive: false, ended_at: now });
    expect(tokens.find((t) => t.accessor === reader.accessor)?.alive).toBe(true);
    expect(emulator.ledger().leases.find((l) => l.lease_id === leaseId)?.alive).toBe(false);
  });
});
