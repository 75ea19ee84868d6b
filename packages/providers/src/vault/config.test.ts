import { describe, expect, it } from "vitest";
import { VaultProviderConfig } from "./config.js";

const base = {
  address: "https://vault.example.com:8200/",
  auth: { method: "approle", role_id: "r", secret_id_env: "LEASH_VAULT_SECRET_ID" },
  targets: { "app-read": { kind: "token", policies: ["app-read"], max_ttl_seconds: 900 } },
};

describe("VaultProviderConfig (configuration is validated before anything talks to Vault)", () => {
  it("applies defaults: 5 s timeout, AppRole mount `approle`, default policy kept; strips a trailing slash", () => {
    const config = VaultProviderConfig.parse(base);
    expect(config.address).toBe("https://vault.example.com:8200");
    expect(config.request_timeout_ms).toBe(5_000);
    expect(config.auth).toMatchObject({ method: "approle", mount: "approle" });
    expect(config.targets["app-read"]).toMatchObject({ no_default_policy: false });
  });

  it("refuses to mint root tokens (least privilege)", () => {
    const root = { ...base, targets: { t: { kind: "token", policies: ["root"], max_ttl_seconds: 60 } } };
    expect(VaultProviderConfig.safeParse(root).success).toBe(false);
  });

  it("holds secrets only by environment variable name, and rejects unknown keys", () => {
    const inline = { ...base, auth: { method: "token", token: "hvs.inline" } };
    expect(VaultProviderConfig.safeParse(inline).success).toBe(false);
    expect(VaultProviderConfig.safeParse({ ...base, extra: 1 }).success).toBe(false);
  });

  it("takes http(s) addresses only", () => {
    expect(VaultProviderConfig.safeParse({ ...base, address: "ftp://vault" }).success).toBe(false);
  });
});
