import vault from "node-vault";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultEmulator, type VaultEmulator } from "./index.js";

/**
 * The emulator against the unmodified node-vault 0.12.0 client and plain fetch. Each case names where the copied
 * behaviour comes from: the Vault source (token_store.go, expiration.go, logical_system.go), the API docs, or
 * node-vault's own src/index.js and src/commands.js.
 */
let emulator: VaultEmulator;
let now = Date.now();
const clock = { now: () => now };

beforeAll(async () => {
  emulator = await startVaultEmulator({
    clock,
    policies: {
      minter: [
        { path: "auth/token/create", capabilities: ["update"] },
        { path: "auth/token/create-orphan", capabilities: ["update"] },
        { path: "auth/token/accessors", capabilities: ["list"] },
      ],
      db: [{ path: "database/creds/readonly", capabilities: ["read"] }],
    },
    databaseRoles: { readonly: { default_ttl: 600, max_ttl: 3600 } },
    appRoles: { leash: { role_id: "role-1", secret_id: "secret-1", policies: ["minter"], token_ttl: 60 } },
  });
});

afterAll(async () => {
  await emulator.stop();
});

function rootClient() {
  return vault({ endpoint: emulator.url, token: emulator.rootToken });
}

async function raw(method: string, path: string, init: { token?: string; body?: unknown } = {}) {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { ...(init.token ? { "x-vault-token": init.token } : {}), "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { response?: { statusCode?: number } }).response?.statusCode ?? -1;
  }
}

describe("Vault emulator conformance", () => {
  it("create answers the documented envelope; node-vault's tokenCreate replaces the client's own token (tokenSource)", async () => {
    const client = rootClient();
    const res = await client.tokenCreate({
      policies: ["db"],
      ttl: "1h",
      meta: { k: "v" },
      display_name: "x y",
    });
    expect(Object.keys(res).sort()).toEqual(
      [
        "auth",
        "data",
        "lease_duration",
        "lease_id",
        "renewable",
        "request_id",
        "warnings",
        "wrap_info",
      ].sort(),
    );
    expect(res.auth.client_token).toMatch(/^hvs\./);
    expect(res.auth.policies).toEqual(["db", "default"]);
    expect(res.auth.lease_duration).toBe(3600);
    // node-vault 0.12.0 commands.js flags tokenCreate with tokenSource: the client now speaks as the child.
    expect(client.token).toBe(res.auth.client_token);
    const self = await client.tokenLookupSelf();
    expect(self.data.meta).toEqual({ k: "v" });
    expect(self.data.display_name).toBe("token-x-y"); // token_store.go: "token-" + sanitised display name
  });

  it("a missing or unknown token is 403 permission denied (api-docs index: 403 bad token)", async () => {
    expect(await raw("GET", "/v1/auth/token/lookup-self")).toEqual({
      status: 403,
      body: { errors: ["permission denied"] },
    });
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: "hvs.nope" })).status).toBe(403);
    const bearer = await fetch(`${emulator.url}/v1/auth/token/lookup-self`, {
      headers: { authorization: `Bearer ${emulator.rootToken}` },
    });
    expect(bearer.status).toBe(200); // Authorization: Bearer is accepted like X-Vault-Token
  });

  it("LIST and GET ?list=true are the same; auth/token/accessors needs sudo (token_store.go tokenListAccessorsHelp)", async () => {
    const client = rootClient();
    const viaList = await client.tokenAccessors(); // node-vault sends the LIST verb
    const viaQuery = await raw("GET", "/v1/auth/token/accessors?list=true", { token: emulator.rootToken });
    expect(viaQuery.body.data.keys.sort()).toEqual(viaList.data.keys.sort());
    const minter = await rootClient().tokenCreate({ policies: ["minter"] });
    const denied = await raw("GET", "/v1/auth/token/accessors?list=true", {
      token: minter.auth.client_token,
    });
    expect(denied.status).toBe(403);
    expect(denied.body.errors[0]).toContain("permission denied");
  });

  it("policies must be a subset of the caller's; create-orphan needs no sudo, no_parent does (token_store.go)", async () => {
    const minter = (await rootClient().tokenCreate({ policies: ["minter"] })).auth.client_token;
    const escalate = await raw("POST", "/v1/auth/token/create", {
      token: minter,
      body: { policies: ["db"] },
    });
    expect(escalate).toMatchObject({
      status: 400,
      body: { errors: ["child policies must be subset of parent"] },
    });
    const orphan = await raw("POST", "/v1/auth/token/create-orphan", {
      token: minter,
      body: { policies: ["minter"] },
    });
    expect(orphan.body.auth.orphan).toBe(true);
    const noParent = await raw("POST", "/v1/auth/token/create", { token: minter, body: { no_parent: true } });
    expect(noParent.body.errors).toEqual(["root or sudo privileges required to create orphan token"]);
  });

  it("revoking a token revokes its children but not orphans; unknown tokens revoke with 204 (token_store.go revokeCommon)", async () => {
    const parent = (await rootClient().tokenCreate({ policies: ["minter"] })).auth.client_token;
    const child = (await raw("POST", "/v1/auth/token/create", { token: parent, body: {} })).body.auth
      .client_token;
    const orphan = (await raw("POST", "/v1/auth/token/create-orphan", { token: parent, body: {} })).body.auth
      .client_token;
    expect(
      (await raw("POST", "/v1/auth/token/revoke", { token: emulator.rootToken, body: { token: parent } }))
        .status,
    ).toBe(204);
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: child })).status).toBe(403);
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: orphan })).status).toBe(200);
    expect(await statusOf(rootClient().tokenRevoke({ token: "hvs.unknown" }))).toBe(200); // 204 resolves
  });

  it("an unknown accessor is 400 invalid accessor for lookup and revoke alike (token_store.go lookupByAccessor)", async () => {
    const client = rootClient();
    const created = await rootClient().tokenCreate({ policies: ["db"] });
    const lookup = await client.tokenLookupAccessor({ accessor: created.auth.accessor });
    expect(lookup.data.id).toBe(""); // handleUpdateLookupAccessor hides the token
    await client.tokenRevokeAccessor({ accessor: created.auth.accessor });
    const again = await raw("POST", "/v1/auth/token/revoke-accessor", {
      token: emulator.rootToken,
      body: { accessor: created.auth.accessor },
    });
    expect(again).toEqual({ status: 400, body: { errors: ["invalid accessor"] } });
    const unknown = await raw("POST", "/v1/auth/token/lookup", {
      token: emulator.rootToken,
      body: { token: "x" },
    });
    expect(unknown).toEqual({ status: 403, body: { errors: ["bad token"] } });
  });

  it("TTL is enforced on every request; explicit_max_ttl caps renewal; num_uses counts down (token_store.go)", async () => {
    const client = rootClient();
    const created = await client.tokenCreate({ policies: ["db"], ttl: "60s", explicit_max_ttl: "90s" });
    const token = created.auth.client_token;
    now += 50_000;
    const renewed = await raw("POST", "/v1/auth/token/renew-self", { token, body: { increment: 3600 } });
    expect(renewed.body.auth.lease_duration).toBe(40); // capped at creation + 90 s
    expect(renewed.body.warnings[0]).toContain("capped");
    now += 41_000;
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token })).status).toBe(403);

    const limited = (await rootClient().tokenCreate({ policies: ["db"], num_uses: 2 })).auth.client_token;
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: limited })).status).toBe(200);
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: limited })).status).toBe(200);
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: limited })).status).toBe(403);
  });

  it("database creds are leased to the calling token; revoking the token drops the user (expiration.go RevokeByToken)", async () => {
    const reader = (await rootClient().tokenCreate({ policies: ["db"] })).auth.client_token;
    const client = vault({ endpoint: emulator.url, token: reader });
    const creds = await client.read("database/creds/readonly");
    expect(creds.lease_id).toMatch(/^database\/creds\/readonly\/.+/);
    expect(creds).toMatchObject({ renewable: true, lease_duration: 600 });
    const user = `/__admin/database/users/${creds.data.username}`;
    expect((await raw("GET", user)).status).toBe(200);
    const lookup = await rootClient().write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ id: creds.lease_id, renewable: true, last_renewal: null, ttl: 600 });
    await rootClient().tokenRevoke({ token: reader });
    expect((await raw("GET", user)).status).toBe(404);
    const gone = await raw("PUT", "/v1/sys/leases/lookup", {
      token: emulator.rootToken,
      body: { lease_id: creds.lease_id },
    });
    expect(gone).toEqual({ status: 400, body: { errors: ["invalid lease"] } });
  });

  it("lease revoke is idempotent (204); sync:false answers 202, which node-vault rejects (logical_system.go, index.js)", async () => {
    const client = rootClient();
    const creds = await client.read("database/creds/readonly");
    await client.revoke({ lease_id: creds.lease_id });
    await client.revoke({ lease_id: creds.lease_id });
    expect((await raw("GET", `/__admin/database/users/${creds.data.username}`)).status).toBe(404);
    await expect(
      client.write("sys/leases/revoke", { lease_id: "database/creds/readonly/x", sync: false }),
    ).rejects.toThrow("Status 202");
  });

  it("revoke-prefix needs sudo and revokes every lease under the prefix (expiration.go revokePrefixCommon)", async () => {
    const client = rootClient();
    const a = await client.read("database/creds/readonly");
    const b = await client.read("database/creds/readonly");
    const minter = (await rootClient().tokenCreate({ policies: ["minter"] })).auth.client_token;
    expect(
      (await raw("PUT", "/v1/sys/leases/revoke-prefix/database/creds/readonly", { token: minter })).status,
    ).toBe(403);
    await client.revokePrefix({ path_prefix: "database/creds/readonly" }); // the legacy sys/revoke-prefix alias
    for (const c of [a, b])
      expect((await raw("GET", `/__admin/database/users/${c.data.username}`)).status).toBe(404);
  });

  it("AppRole login issues an orphan token with the role's policies; bad credentials are 400", async () => {
    const client = vault({ endpoint: emulator.url });
    const login = await client.approleLogin({ role_id: "role-1", secret_id: "secret-1" });
    expect(login.auth).toMatchObject({ policies: ["default", "minter"], lease_duration: 60, orphan: true });
    expect(client.token).toBe(login.auth.client_token); // approleLogin is a tokenSource
    const bad = await raw("POST", "/v1/auth/approle/login", {
      body: { role_id: "role-1", secret_id: "nope" },
    });
    expect(bad).toEqual({ status: 400, body: { errors: ["invalid role or secret ID"] } });
  });

  it("wrong method is 405, unknown path 404, sealed 503 with sys/health still answering (api-docs index, health)", async () => {
    expect((await raw("DELETE", "/v1/auth/token/create", { token: emulator.rootToken })).status).toBe(405);
    expect((await raw("GET", "/v1/nowhere/x", { token: emulator.rootToken })).status).toBe(404);
    emulator.faults.set({ seal: true });
    try {
      expect(await raw("GET", "/v1/auth/token/lookup-self", { token: emulator.rootToken })).toEqual({
        status: 503,
        body: { errors: ["Vault is sealed"] },
      });
      // node-vault resolves any sys/health answer, whatever its status.
      expect(await rootClient().health()).toMatchObject({ sealed: true });
      expect((await raw("GET", "/v1/sys/health")).status).toBe(503);
    } finally {
      await emulator.faults.clear();
    }
  });

  it("the admin API configures policies and database roles and validates what it is given", async () => {
    const rules = { rules: [{ path: "database/creds/short", capabilities: ["read"] }] };
    expect((await raw("PUT", "/__admin/policies/short-reader", { body: rules })).status).toBe(204);
    expect((await raw("PUT", "/__admin/database/roles/short", { body: { default_ttl: "5m" } })).status).toBe(
      204,
    );
    const reader = (await rootClient().tokenCreate({ policies: ["short-reader"] })).auth.client_token;
    const creds = await vault({ endpoint: emulator.url, token: reader }).read("database/creds/short");
    expect(creds.lease_duration).toBe(300);
    expect((await raw("POST", "/__admin/faults", { body: { fail_next: "lots" } })).status).toBe(400);
  });

  it("fault injection: fail_next, rate limit (429), refused connections, all cleared by DELETE", async () => {
    expect((await raw("POST", "/__admin/faults", { body: { fail_next: 1, status: 502 } })).status).toBe(200);
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: emulator.rootToken })).status).toBe(502);
    expect((await raw("GET", "/v1/auth/token/lookup-self", { token: emulator.rootToken })).status).toBe(200);
    await raw("POST", "/__admin/faults", { body: { rate_limit: true } });
    expect(await raw("GET", "/v1/auth/token/lookup-self", { token: emulator.rootToken })).toEqual({
      status: 429,
      body: { errors: ["rate limit quota exceeded"] },
    });
    expect((await raw("DELETE", "/__admin/faults")).status).toBe(204);
    emulator.faults.set({ unavailable_for_ms: 60_000 });
    // A pooled keep-alive socket sees the drop as a reset; a new connection is refused.
    const refused = await rootClient()
      .tokenLookupSelf()
      .catch((error: { code?: string }) => error.code);
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(refused);
    const fresh = await fetch(`${emulator.url}/v1/sys/health`).catch(
      (error: { cause?: { code?: string } }) => error,
    );
    expect(fresh).toMatchObject({ cause: { code: "ECONNREFUSED" } });
    await emulator.faults.clear();
    expect((await rootClient().tokenLookupSelf()).data.policies).toEqual(["root"]);
  });
});
