import {
  type Intent,
  isLeashError,
  type LeashError,
  type MintRequest,
  type RevokeRequest,
} from "@leash/core";
// The emulator lives in @leash/devstack, whose index does not export it yet.
import { startVaultEmulator, type VaultEmulator, waitFor } from "@leash/devstack";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { VaultProviderConfigInput } from "./config.js";
import { createVaultProvider, type VaultProvider } from "./provider.js";

let emulator: VaultEmulator;
let now = Date.now();
const clock = { now: () => now };
const signal = () => AbortSignal.timeout(10_000);
const intent: Intent = { action: "read", resource: "secret/app/config" };
let leashToken: string;
const providers: VaultProvider[] = [];

const LEASH_POLICY = [
  { path: "auth/token/create-orphan", capabilities: ["update" as const] },
  { path: "auth/token/lookup-accessor", capabilities: ["update" as const] },
  { path: "auth/token/revoke-accessor", capabilities: ["update" as const] },
  { path: "auth/token/accessors", capabilities: ["list" as const, "sudo" as const] },
  { path: "sys/leases/revoke", capabilities: ["update" as const] },
  {
    path: "sys/leases/revoke-prefix/database/creds/readonly",
    capabilities: ["update" as const, "sudo" as const],
  },
];

beforeAll(async () => {
  emulator = await startVaultEmulator({
    clock,
    policies: {
      leash: LEASH_POLICY,
      "agent-read": [{ path: "secret/data/app/*", capabilities: ["read"] }],
      "db-reader": [{ path: "database/creds/readonly", capabilities: ["read"] }],
      other: [{ path: "secret/data/other/*", capabilities: ["read"] }],
    },
    databaseRoles: { readonly: { default_ttl: 3600, max_ttl: 7200 } },
    appRoles: {
      leash: {
        role_id: "leash-role",
        secret_id: "leash-secret",
        policies: ["leash", "agent-read", "db-reader"],
        token_ttl: 30,
        token_max_ttl: 75,
      },
    },
  });
  const res = await fetch(`${emulator.url}/v1/auth/token/create-orphan`, {
    method: "POST",
    headers: { "x-vault-token": emulator.rootToken },
    body: JSON.stringify({ policies: ["leash", "agent-read", "db-reader", "other"], ttl: "768h" }),
  });
  leashToken = ((await res.json()) as { auth: { client_token: string } }).auth.client_token;
});

afterEach(async () => {
  await emulator.faults.clear();
});

afterAll(async () => {
  for (const p of providers) p.close();
  await emulator.stop();
});

function config(overrides: Partial<VaultProviderConfigInput> = {}): VaultProviderConfigInput {
  return {
    address: emulator.url,
    auth: { method: "token", token_env: "LEASH_VAULT_TOKEN" },
    request_timeout_ms: 2_000,
    targets: {
      "app-read": { kind: "token", policies: ["agent-read"], max_ttl_seconds: 3600, actions: ["read"] },
      "other-read": { kind: "token", policies: ["other"], max_ttl_seconds: 3600 },
      "db-readonly": {
        kind: "dynamic",
        mount: "database",
        role: "readonly",
        reader_policies: ["db-reader"],
        max_ttl_seconds: 3600,
      },
    },
    ...overrides,
  };
}

function provider(overrides: Partial<VaultProviderConfigInput> = {}, env?: Record<string, string>) {
  const p = createVaultProvider(config(overrides), { env: env ?? { LEASH_VAULT_TOKEN: leashToken }, clock });
  providers.push(p);
  return p;
}

let seq = 0;
function mintRequest(target: string, ttlSeconds = 300): MintRequest {
  seq += 1;
  return {
    leaseId: `ls_test${seq}`,
    taskId: "tk_test",
    agent: "spiffe://example.org/agent",
    target,
    intent,
    ttlSeconds,
    expiresAt: now + ttlSeconds * 1000,
    actorChain: [],
    scopeHints: [],
  };
}

function revokeRequest(mint: MintRequest, handle: RevokeRequest["handle"]): RevokeRequest {
  return {
    leaseId: mint.leaseId,
    taskId: mint.taskId,
    agent: mint.agent,
    target: mint.target ?? null,
    handle,
    issuedAt: now,
    providerExpiresAt: null,
  };
}

async function tokenWorks(token: unknown): Promise<boolean> {
  const res = await fetch(`${emulator.url}/v1/auth/token/lookup-self`, {
    headers: { "x-vault-token": String(token) },
  });
  return res.status === 200;
}

async function userExists(username: unknown): Promise<boolean> {
  return (await fetch(`${emulator.url}/__admin/database/users/${String(username)}`)).status === 200;
}

async function failure(promise: Promise<unknown>): Promise<LeashError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLeashError(error)) throw new Error(`expected a LeashError, got ${String(error)}`);
  return error;
}

describe("vault provider against the Vault emulator", () => {
  it("a token lease works until revoked, then Vault refuses it (property 1); revoke is idempotent (property 3)", async () => {
    const p = provider();
    const request = mintRequest("app-read");
    const minted = await p.mint(request, signal());
    const token = minted.credential.token;
    expect(await tokenWorks(token)).toBe(true);
    expect(minted.handle).toEqual({ kind: "token", accessor: expect.any(String) });
    expect(JSON.stringify(minted.handle)).not.toContain(String(token)); // property 6: only identifiers are stored
    expect(minted.scope).toEqual(["vault:policy:agent-read"]);

    const lookup = await fetch(`${emulator.url}/v1/auth/token/lookup-self`, {
      headers: { "x-vault-token": String(token) },
    });
    const data = ((await lookup.json()) as { data: Record<string, unknown> }).data;
    expect(data).toMatchObject({
      orphan: true,
      renewable: false,
      explicit_max_ttl: 300,
      display_name: `token-leash-${request.leaseId.replace("_", "-")}`,
      meta: { leash_lease_id: request.leaseId, leash_task_id: "tk_test", leash_target: "app-read" },
    });

    await p.revoke(revokeRequest(request, minted.handle), signal());
    expect(await tokenWorks(token)).toBe(false);
    await p.revoke(revokeRequest(request, minted.handle), signal());
  });

  it("a dynamic secret is a live database user until revoked; revoking twice is fine", async () => {
    const p = provider();
    const request = mintRequest("db-readonly");
    const minted = await p.mint(request, signal());
    const data = minted.credential.data as { username: string; password: string };
    expect(data.password).toEqual(expect.any(String));
    expect(minted.credential.vault_lease_id).toMatch(/^database\/creds\/readonly\//);
    expect(minted.handle).toMatchObject({ kind: "lease", vault_lease_id: minted.credential.vault_lease_id });
    expect(await userExists(data.username)).toBe(true);

    await p.revoke(revokeRequest(request, minted.handle), signal());
    expect(await userExists(data.username)).toBe(false);
    await p.revoke(revokeRequest(request, minted.handle), signal());
  });

  it("a dynamic secret dies with the lease TTL even if the role's TTL is longer (property 1)", async () => {
    const minted = await provider().mint(mintRequest("db-readonly", 60), signal());
    const { username } = minted.credential.data as { username: string };
    expect(minted.providerExpiresAt).toBe(now + 60_000);
    now += 61_000;
    expect(await userExists(username)).toBe(false);
  });

  it("reclaim finds and revokes what a mint created when the handle was never recorded (property 2)", async () => {
    const p = provider();
    const tokenMint = mintRequest("app-read");
    const lost = await p.mint(tokenMint, signal());
    const dynamicMint = mintRequest("db-readonly");
    const lostSecret = await p.mint(dynamicMint, signal());
    const survivor = await p.mint(mintRequest("app-read"), signal());

    await p.reclaim(revokeRequest(tokenMint, null), signal());
    await p.reclaim(revokeRequest(dynamicMint, null), signal());
    expect(await tokenWorks(lost.credential.token)).toBe(false);
    expect(await userExists((lostSecret.credential.data as { username: string }).username)).toBe(false);
    expect(await tokenWorks(survivor.credential.token)).toBe(true);
    await p.reclaim(revokeRequest(tokenMint, null), signal()); // idempotent
  });

  it("cutTarget revokes a dynamic role's leases at once, and declines token targets (revoked per lease)", async () => {
    const p = provider();
    const a = await p.mint(mintRequest("app-read"), signal());
    const secret = await p.mint(mintRequest("db-readonly"), signal());
    expect(await p.cutTarget?.({ target: "app-read", issuedBefore: now + 1_000 }, signal())).toBe(false);
    expect(await p.cutTarget?.({ target: "db-readonly", issuedBefore: now + 1_000 }, signal())).toBe(true);
    expect(await tokenWorks(a.credential.token)).toBe(true);
    expect(await userExists((secret.credential.data as { username: string }).username)).toBe(false);
  });

  it("validate: unknown targets are unknown_target (400); actions a target does not serve are refused", () => {
    const p = provider();
    expect(() => p.validate("nope", intent)).toThrow(
      expect.objectContaining({ code: "unknown_target", status: 400 }),
    );
    expect(() => p.validate("constructor", intent)).toThrow(
      expect.objectContaining({ code: "unknown_target" }),
    );
    expect(() => p.validate(undefined, intent)).toThrow(expect.objectContaining({ code: "unknown_target" }));
    expect(() => p.validate("app-read", { ...intent, action: "write" })).toThrow(
      expect.objectContaining({ code: "provider_access_denied" }),
    );
    expect(p.maxTtlSeconds("app-read")).toBe(3600);
    expect(p.maxTtlSeconds("nope")).toBeUndefined();
  });

  it("outages are provider_unavailable with retry: refused connection, sealed, rate limit, timeout (property 4)", async () => {
    const p = provider({ request_timeout_ms: 300 });
    await p.start();
    emulator.faults.set({ seal: true });
    const sealed = await failure(
      p.revoke(revokeRequest(mintRequest("app-read"), { kind: "token", accessor: "x" }), signal()),
    );
    expect(sealed).toMatchObject({ code: "provider_unavailable", retry: true });
    expect(sealed.message).toBe("vault auth/token/revoke-accessor: Vault is sealed");
    await emulator.faults.clear();

    emulator.faults.set({ rate_limit: true });
    expect(await failure(p.mint(mintRequest("app-read"), signal()))).toMatchObject({
      code: "provider_unavailable",
    });
    await emulator.faults.clear();

    emulator.faults.set({ latency_ms: 1_000 });
    const slow = await failure(p.mint(mintRequest("app-read"), signal()));
    expect(slow).toMatchObject({ code: "provider_unavailable", retry: true });
    expect(slow.message).toContain("timed out");
    await emulator.faults.clear();

    // Last, because pooled keep-alive sockets see the dropped connections as resets.
    emulator.faults.set({ unavailable_for_ms: 60_000 });
    const refused = await failure(p.mint(mintRequest("app-read"), signal()));
    expect(refused).toMatchObject({ code: "provider_unavailable", retry: true });
    expect(refused.message).toMatch(/^vault auth\/token\/create-orphan: connection (refused|reset)$/);
  });

  it("Vault's refusals map to provider_access_denied (403) and provider_rejected (400), never naming a token", async () => {
    const weak = await fetch(`${emulator.url}/v1/auth/token/create-orphan`, {
      method: "POST",
      headers: { "x-vault-token": emulator.rootToken },
      body: JSON.stringify({ policies: ["agent-read"] }),
    });
    const weakToken = ((await weak.json()) as { auth: { client_token: string } }).auth.client_token;
    const denied = await failure(
      provider({}, { LEASH_VAULT_TOKEN: weakToken }).mint(mintRequest("app-read"), signal()),
    );
    expect(denied).toMatchObject({ code: "provider_access_denied", retry: false });
    expect(denied.message).toBe("vault auth/token/create-orphan: permission denied");

    const p = provider({
      targets: { admin: { kind: "token", policies: ["not-held"], max_ttl_seconds: 60 } },
    });
    const rejected = await failure(p.mint(mintRequest("admin"), signal()));
    expect(rejected).toMatchObject({ code: "provider_rejected", retry: false });
    expect(rejected.message).toBe("vault auth/token/create-orphan: child policies must be subset of parent");
    expect(rejected.message).not.toContain(leashToken);
  });

  it("AppRole: logs in, renews its own token before it expires, and logs in again past the max TTL", async () => {
    const approle = { method: "approle", role_id: "leash-role", secret_id_env: "LEASH_SECRET_ID" } as const;
    const p = provider({ auth: approle }, { LEASH_SECRET_ID: "leash-secret" });
    await p.start();
    const own = () => [...emulator.state.tokens.values()].filter((t) => t.path === "auth/approle/login");
    const first = own().at(-1);
    expect(first?.meta).toEqual({ role_name: "leash" });

    now += 21_000; // two thirds of the 30 s TTL: the next call renews first
    await p.mint(mintRequest("app-read"), signal());
    expect(first?.lastRenewal).toBe(now);
    now += 21_000; // past the original expiry: alive only because it was renewed
    await p.mint(mintRequest("app-read"), signal());
    expect(own().at(-1)).toBe(first);

    now += 40_000; // beyond the 75 s max TTL: renewal cannot extend it, so a new login
    await p.mint(mintRequest("app-read"), signal());
    const second = own().at(-1);
    expect(second).not.toBe(first);

    // Vault forgets Leash's token (revoked by an operator, lost in a restart): 403, then a fresh login.
    emulator.state.revokeToken(second?.id ?? "");
    await p.mint(mintRequest("app-read"), signal());
    expect(own().at(-1)).not.toBe(second);
  });

  it("renews its own token on a timer even when idle", async () => {
    const realClock = { now: () => Date.now() };
    const fast = await startVaultEmulator({
      clock: realClock,
      appRoles: { leash: { role_id: "r", secret_id: "s", policies: [], token_ttl: 2, token_max_ttl: 60 } },
    });
    const p = createVaultProvider(
      { ...config(), address: fast.url, auth: { method: "approle", role_id: "r", secret_id_env: "S" } },
      { env: { S: "s" }, clock: realClock },
    );
    providers.push(p);
    try {
      await p.start();
      const token = [...fast.state.tokens.values()].find((t) => t.path === "auth/approle/login");
      await waitFor(() => (token?.lastRenewal ? true : undefined), { timeoutMs: 5_000, what: "renew-self" });
    } finally {
      p.close();
      await fast.stop();
    }
  });
});
