import vault from "node-vault";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultEmulator, type VaultEmulator } from "./index.js";

/**
 * The KV secrets engines against node-vault 0.12.0 and plain fetch. Shapes come from the KV plugin's source
 * (vault-plugin-secrets-kv: path_data.go, path_metadata.go, path_config.go, passthrough.go, backend.go) and Vault's
 * (logical_system.go mountInfo, handleMountTable, pathInternalUIMountRead; http/handler.go injectDataIntoTopRoutes).
 */
let emulator: VaultEmulator;
let now = Date.parse("2026-03-01T10:00:00.000Z");
const clock = { now: () => now };

beforeAll(async () => {
  emulator = await startVaultEmulator({
    clock,
    policies: {
      "app-reader": [{ path: "secret/data/app", capabilities: ["read"] }],
      "app-creator": [{ path: "secret/data/new/*", capabilities: ["create"] }],
      "list-only": [{ path: "secret/metadata/*", capabilities: ["list"] }],
      unrelated: [{ path: "database/creds/readonly", capabilities: ["read"] }],
    },
  });
});

afterAll(async () => {
  await emulator?.stop();
});

function client(token = emulator.rootToken) {
  return vault({ endpoint: emulator.url, token });
}

async function raw(method: string, path: string, init: { token?: string | null; body?: unknown } = {}) {
  const token = init.token === undefined ? emulator.rootToken : init.token;
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { ...(token ? { "x-vault-token": token } : {}), "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

async function tokenWith(policies: string[]): Promise<string> {
  return (await client().write("auth/token/create", { policies })).auth.client_token;
}

describe("sys/mounts", () => {
  it("lists a KV v2 engine at secret/ as `vault server -dev` has it, the mounts also injected at the top level", async () => {
    const res = await client().mounts();
    const secret = res.data["secret/"];
    expect(secret).toMatchObject({
      type: "kv",
      description: "key/value secret storage",
      options: { version: "2" },
      local: false,
      seal_wrap: false,
      external_entropy_access: false,
      config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
    });
    expect(secret.accessor).toMatch(/^kv_[0-9a-f]{8}$/);
    expect(secret.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.data["sys/"]).toMatchObject({ type: "system", options: null });
    expect(res["secret/"]).toEqual(secret); // http.HTTPSysInjector: sys/mounts repeats data at the top level
    expect(res.request_id).toEqual(expect.any(String));
  });

  it("mounts KV v1 and v2 (also as kv-v1/kv-v2 aliases), refuses conflicts, protected paths and unknown types", async () => {
    expect(
      await client().mount({ mount_point: "kv1", type: "kv", options: { version: "1" }, description: "v1" }),
    ).toBe(""); // 204: node-vault resolves its empty body
    await client().mount({ mount_point: "team/kv", type: "kv-v2" });
    const mounts = (await client().mounts()).data;
    expect(mounts["kv1/"]).toMatchObject({ type: "kv", options: { version: "1" }, description: "v1" });
    expect(mounts["team/kv/"]).toMatchObject({ type: "kv", options: { version: "2" } });
    const one = await raw("GET", "/v1/sys/mounts/kv1");
    expect(one.body.data).toMatchObject({ type: "kv", options: { version: "1" } });
    expect(await raw("POST", "/v1/sys/mounts/kv1/sub", { body: { type: "kv" } })).toEqual({
      status: 409,
      body: { errors: ["path is already in use at kv1/"] },
    });
    expect(await raw("POST", "/v1/sys/mounts/sys/x", { body: { type: "kv" } })).toEqual({
      status: 403,
      body: { errors: ['cannot mount "sys/x/"'] },
    });
    expect((await raw("POST", "/v1/sys/mounts/other", { body: { type: "nope" } })).status).toBe(400);
    expect((await raw("POST", "/v1/sys/mounts/other", { body: {} })).body).toEqual({
      errors: ["backend type must be specified as a string"],
    });
    const reader = await tokenWith(["app-reader"]);
    expect((await raw("GET", "/v1/sys/mounts", { token: reader })).status).toBe(403);
  });

  it("unmounting drops the engine and its data; unmounting nothing is 204 too", async () => {
    await client().mount({ mount_point: "gone", type: "kv-v2" });
    await client().write("gone/data/x", { data: { a: "1" } });
    expect(await client().unmount({ mount_point: "gone" })).toBe("");
    expect((await raw("GET", "/v1/gone/data/x")).status).toBe(404);
    expect((await raw("DELETE", "/v1/sys/mounts/never")).status).toBe(204);
    await client().mount({ mount_point: "gone", type: "kv-v2" });
    expect((await raw("GET", "/v1/gone/data/x")).body).toEqual({ errors: [] });
  });

  it("sys/internal/ui/mounts/<path> names the mount and version for a token with any access under it (vault kv get's preflight)", async () => {
    const reader = await tokenWith(["app-reader"]);
    const res = await raw("GET", "/v1/sys/internal/ui/mounts/secret/app", { token: reader });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ path: "secret/", type: "kv", options: { version: "2" } });
    const other = await tokenWith(["unrelated"]);
    expect(await raw("GET", "/v1/sys/internal/ui/mounts/secret/app", { token: other })).toEqual({
      status: 403,
      body: {
        errors: [
          'preflight capability check returned 403, please ensure client\'s policies grant access to path "secret/app/"',
        ],
      },
    });
    expect((await raw("GET", "/v1/sys/internal/ui/mounts/nowhere/x")).status).toBe(403);
    expect((await raw("GET", "/v1/sys/internal/ui/mounts/secret/app", { token: null })).status).toBe(403);
  });
});

describe("KV v2", () => {
  it("writes versions and reads the latest or a given one, with the metadata block (path_data.go)", async () => {
    const first = await client().write("secret/data/app", { data: { api_key: "k1", n: 1 } });
    expect(first.data).toEqual({
      version: 1,
      created_time: "2026-03-01T10:00:00Z", // Go's RFC 3339 with nanoseconds, trailing zeros dropped
      deletion_time: "",
      destroyed: false,
      custom_metadata: null,
    });
    now += 1_250;
    await client().write("secret/data/app", { data: { api_key: "k2" } });
    const latest = await client().read("secret/data/app");
    expect(latest).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0 });
    expect(latest.data).toEqual({
      data: { api_key: "k2" },
      metadata: {
        version: 2,
        created_time: "2026-03-01T10:00:01.25Z",
        deletion_time: "",
        destroyed: false,
        custom_metadata: null,
      },
    });
    const v1 = await raw("GET", "/v1/secret/data/app?version=1");
    expect(v1.body.data.data).toEqual({ api_key: "k1", n: 1 });
    expect((await raw("GET", "/v1/secret/data/app?version=9")).body).toEqual({ errors: [] });
  });

  it("a missing secret is 404 with empty errors, which node-vault reports as Status 404", async () => {
    expect(await raw("GET", "/v1/secret/data/missing")).toEqual({ status: 404, body: { errors: [] } });
    await expect(client().read("secret/data/missing")).rejects.toThrow("Status 404");
  });

  it("checks cas against the current version, and requires it when the config says so", async () => {
    await client().write("secret/data/cas", { data: { v: "1" }, options: { cas: 0 } });
    expect(
      await raw("POST", "/v1/secret/data/cas", { body: { data: { v: "x" }, options: { cas: 0 } } }),
    ).toEqual({
      status: 400,
      body: { errors: ["check-and-set parameter did not match the current version"] },
    });
    const second = await client().write("secret/data/cas", { data: { v: "2" }, options: { cas: 1 } });
    expect(second.data.version).toBe(2);
    expect(await raw("POST", "/v1/secret/data/cas", { body: {} })).toEqual({
      status: 400,
      body: { errors: ["no data provided"] },
    });
    await client().mount({ mount_point: "strict", type: "kv-v2" });
    await client().write("strict/config", { cas_required: true });
    expect((await client().read("strict/config")).data).toEqual({
      max_versions: 0,
      cas_required: true,
      delete_version_after: "0s",
    });
    expect(await raw("PUT", "/v1/strict/data/x", { body: { data: { a: "b" } } })).toEqual({
      status: 400,
      body: { errors: ["check-and-set parameter required for this call"] },
    });
  });

  it("DELETE soft-deletes the latest version: reads are 404 carrying the metadata; undelete and destroy work", async () => {
    await client().write("secret/data/del", { data: { a: "1" } });
    await client().write("secret/data/del", { data: { a: "2" } });
    now += 1_000;
    expect(await client().delete("secret/data/del")).toBe(""); // 204: node-vault resolves its empty body
    const deleted = await raw("GET", "/v1/secret/data/del");
    expect(deleted.status).toBe(404);
    expect(deleted.body.data).toEqual({
      data: null,
      metadata: expect.objectContaining({ version: 2, deletion_time: expect.stringMatching(/Z$/) }),
    });
    expect((await raw("GET", "/v1/secret/data/del?version=1")).body.data.data).toEqual({ a: "1" });
    expect((await raw("POST", "/v1/secret/undelete/del", { body: { versions: [2] } })).status).toBe(204);
    expect((await client().read("secret/data/del")).data.data).toEqual({ a: "2" });
    await client().destroySecretVersions({ path: "del", versions: [1] });
    const destroyed = await raw("GET", "/v1/secret/data/del?version=1");
    expect(destroyed.status).toBe(404);
    expect(destroyed.body.data.metadata.destroyed).toBe(true);
    expect((await raw("POST", "/v1/secret/delete/del", { body: { versions: [2] } })).status).toBe(204);
    expect((await raw("GET", "/v1/secret/data/del")).status).toBe(404);
  });

  it("metadata lists every kept version; max_versions slides the window (path_metadata.go, AddVersion)", async () => {
    await client().mount({ mount_point: "short", type: "kv-v2" });
    await client().write("short/config", { max_versions: 2 });
    for (const v of ["1", "2", "3"]) await client().write("short/data/k", { data: { v } });
    const meta = await client().read("short/metadata/k");
    expect(meta.data).toMatchObject({
      current_version: 3,
      oldest_version: 2,
      max_versions: 0,
      cas_required: false,
      delete_version_after: "0s",
      custom_metadata: null,
    });
    expect(Object.keys(meta.data.versions).sort()).toEqual(["2", "3"]);
    expect(meta.data.versions["3"]).toEqual({
      created_time: expect.any(String),
      deletion_time: "",
      destroyed: false,
    });
    expect((await raw("GET", "/v1/short/data/k?version=1")).status).toBe(404);
    expect(await raw("DELETE", "/v1/short/metadata/k")).toEqual({ status: 204, body: undefined });
    expect((await raw("GET", "/v1/short/metadata/k")).status).toBe(404);
  });

  it("LIST on metadata returns keys and folders; an empty folder is 404 (logical.ListResponse)", async () => {
    await client().mount({ mount_point: "tree", type: "kv-v2" });
    await client().write("tree/data/a", { data: { x: "1" } });
    await client().write("tree/data/team/b", { data: { x: "1" } });
    await client().write("tree/data/team/deep/c", { data: { x: "1" } });
    expect((await client().list("tree/metadata")).data.keys).toEqual(["a", "team/"]);
    expect((await client().list("tree/metadata/team/")).data.keys).toEqual(["b", "deep/"]);
    expect((await raw("GET", "/v1/tree/metadata/team?list=true")).body.data.keys).toEqual(["b", "deep/"]);
    expect(await raw("GET", "/v1/tree/metadata/none/?list=true")).toEqual({
      status: 404,
      body: { errors: [] },
    });
  });

  it("a v1-style path on a v2 mount is 404 with the CLI's hint (backend.go invalidPaths)", async () => {
    const res = await raw("GET", "/v1/secret/app");
    expect(res.status).toBe(404);
    expect(res.body.warnings).toEqual([
      "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
    ]);
    expect((await raw("PUT", "/v1/secret/app", { body: { a: 1 } })).body.warnings[0]).toContain(
      "'vault kv put'",
    );
  });

  it("token policies apply: read on one path only, create without update, list on metadata (403 permission denied)", async () => {
    await client().write("secret/data/app", { data: { api_key: "k3" } });
    await client().write("secret/data/new/existing", { data: { a: "1" } });
    const reader = client(await tokenWith(["app-reader"]));
    expect((await reader.read("secret/data/app")).data.data).toEqual({ api_key: "k3" });
    const denied = await raw("GET", "/v1/secret/data/cas", { token: reader.token });
    expect(denied.status).toBe(403);
    expect(denied.body.errors[0]).toContain("permission denied");
    expect(
      (await raw("POST", "/v1/secret/data/app", { token: reader.token, body: { data: {} } })).status,
    ).toBe(403);
    const creator = await tokenWith(["app-creator"]);
    const created = await raw("POST", "/v1/secret/data/new/fresh", {
      token: creator,
      body: { data: { a: "1" } },
    });
    expect(created.status).toBe(200);
    // The secret exists now: a second write is an update, which the policy does not grant (existence check).
    expect(
      (await raw("POST", "/v1/secret/data/new/fresh", { token: creator, body: { data: { a: "2" } } })).status,
    ).toBe(403);
    const lister = await tokenWith(["list-only"]);
    expect((await raw("GET", "/v1/secret/metadata/?list=true", { token: lister })).status).toBe(200);
    expect((await raw("GET", "/v1/secret/metadata/app", { token: lister })).status).toBe(403);
  });
});

describe("KV v1", () => {
  it("writes (204), reads with the default lease duration, lists and deletes (passthrough.go)", async () => {
    await client().mount({ mount_point: "v1", type: "kv", options: { version: "1" } });
    expect(await client().write("v1/app/one", { token: "t1", ttl: "1h" })).toBe(""); // 204
    await client().write("v1/app/two", { token: "t2" });
    const one = await client().read("v1/app/one");
    expect(one).toMatchObject({ lease_id: "", renewable: false, lease_duration: 3600 });
    expect(one.data).toEqual({ token: "t1", ttl: "1h" });
    expect((await client().read("v1/app/two")).lease_duration).toBe(2_764_800);
    expect((await client().list("v1/app")).data.keys).toEqual(["one", "two"]);
    expect(await raw("PUT", "/v1/v1/app/empty", { body: {} })).toEqual({
      status: 400,
      body: { errors: ["missing data fields"] },
    });
    expect(await client().delete("v1/app/one")).toBe("");
    expect(await raw("GET", "/v1/v1/app/one")).toEqual({ status: 404, body: { errors: [] } });
    const ui = await raw("GET", "/v1/sys/internal/ui/mounts/v1/app/two");
    expect(ui.body.data).toMatchObject({ path: "v1/", type: "kv", options: { version: "1" } });
  });
});
