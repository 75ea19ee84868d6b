import { startVaultEmulator, type VaultEmulator } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVaultKvReader, type VaultKvReader } from "./kv.js";

let emulator: VaultEmulator;
let now = Date.now();
const clock = { now: () => now };
const signal = () => AbortSignal.timeout(10_000);
const readers: VaultKvReader[] = [];

async function vault(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${emulator.url}/v1/${path}`, {
    method,
    headers: { "x-vault-token": emulator.rootToken },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

function reader(options: { cacheMs?: number } = {}): VaultKvReader {
  const r = createVaultKvReader(
    {
      address: emulator.url,
      auth: { method: "token", token_env: "GATEWAY_VAULT_TOKEN" },
      request_timeout_ms: 2000,
    },
    options,
    { env: { GATEWAY_VAULT_TOKEN: emulator.rootToken }, clock },
  );
  readers.push(r);
  return r;
}

beforeAll(async () => {
  emulator = await startVaultEmulator({ clock });
  await vault("POST", "secret/data/github", { data: { token: "ghp-v2-first", other: 7 } });
  await vault("POST", "sys/mounts/kv1", { type: "kv", options: { version: "1" } });
  await vault("POST", "kv1/slack", { token: "xoxb-v1" });
});
afterAll(async () => {
  for (const r of readers) r.close();
  await emulator?.stop();
});

describe("static secrets from Vault KV", () => {
  it("reads KV v2 (secret/ of a dev server) and KV v1 by the logical path `vault kv get` takes", async () => {
    const r = reader();
    await r.start();
    expect(await r.read({ vault_kv: "secret/github", key: "token" }, signal())).toBe("ghp-v2-first");
    expect(await r.read({ vault_kv: "kv1/slack", key: "token" }, signal())).toBe("xoxb-v1");
  });

  it("serves a value from memory until cacheMs, then reads the rotated one", async () => {
    const r = reader({ cacheMs: 60_000 });
    expect(await r.read({ vault_kv: "secret/github", key: "token" }, signal())).toBe("ghp-v2-first");
    await vault("POST", "secret/data/github", { data: { token: "ghp-v2-second" } });
    expect(await r.read({ vault_kv: "secret/github", key: "token" }, signal())).toBe("ghp-v2-first");
    now += 60_000;
    expect(await r.read({ vault_kv: "secret/github", key: "token" }, signal())).toBe("ghp-v2-second");
  });

  it("refuses a missing secret, a missing or non-string field and a path outside every KV engine, naming no value", async () => {
    const r = reader();
    const cases = [
      [{ vault_kv: "secret/nope", key: "token" }, /secret\/nope: no such secret/],
      [{ vault_kv: "secret/github", key: "missing" }, /field "missing"/],
      [{ vault_kv: "nowhere/x", key: "token" }, /no KV engine/],
    ] as const;
    await vault("POST", "secret/data/typed", { data: { n: 7 } });
    for (const [ref, message] of [
      ...cases,
      [{ vault_kv: "secret/typed", key: "n" }, /not a non-empty string/] as const,
    ]) {
      const error = await r.read(ref, signal()).catch((e: Error) => e);
      expect(error).toMatchObject({ code: "provider_rejected" });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("ghp-");
    }
  });

  it("finds a KV engine mounted after the reader started", async () => {
    const r = reader();
    await r.start();
    await vault("POST", "sys/mounts/team/kv", { type: "kv", options: { version: "2" } });
    await vault("POST", "team/kv/data/api", { data: { key: "team-secret" } });
    now += 10_000;
    expect(await r.read({ vault_kv: "team/kv/api", key: "key" }, signal())).toBe("team-secret");
  });

  it("uses the last value while Vault is sealed, for staleIfErrorMs only, and never once Vault refuses the read", async () => {
    await vault("POST", "secret/data/outage", { data: { token: "kept-through-outage" } });
    const r = createVaultKvReader(
      {
        address: emulator.url,
        auth: { method: "token", token_env: "GATEWAY_VAULT_TOKEN" },
        request_timeout_ms: 2000,
      },
      { cacheMs: 1_000, staleIfErrorMs: 60_000 },
      { env: { GATEWAY_VAULT_TOKEN: emulator.rootToken }, clock },
    );
    readers.push(r);
    const ref = { vault_kv: "secret/outage", key: "token" };
    expect(await r.read(ref, signal())).toBe("kept-through-outage");
    emulator.faults.set({ seal: true });
    try {
      now += 30_000;
      expect(await r.read(ref, signal())).toBe("kept-through-outage");
      now += 31_000;
      await expect(r.read(ref, signal())).rejects.toMatchObject({ code: "provider_unavailable" });
    } finally {
      emulator.faults.set({ seal: false });
    }
    expect(await r.read(ref, signal())).toBe("kept-through-outage");
    // A refusal is no outage: permission denied (the gateway's token revoked or its policy narrowed) fails closed.
    emulator.faults.set({ fail_next: 1, status: 403, message: "permission denied" });
    now += 2_000;
    await expect(r.read(ref, signal())).rejects.toMatchObject({ code: "provider_access_denied" });
  });
});
