import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLeashConfig } from "./config-file.js";

const trust = {
  audience: "leash",
  issuers: [{ issuer: "https://issuer.test", jwks_file: "jwks.json" }],
  roles: { agent: ["spiffe://t/agent/"] },
};
const secret = { vault_kv: "secret/github", key: "token" };
const vault = {
  address: "http://127.0.0.1:8200",
  auth: { method: "token", token_env: "VAULT_TOKEN" },
  targets: { "kv-reader": { kind: "token", policies: ["kv-read"], max_ttl_seconds: 900 } },
};
const aws = {
  region: "eu-west-1",
  targets: {
    "docs-reader": {
      role_arn: "arn:aws:iam::123456789012:role/docs",
      actions: { read: ["s3:GetObject"] },
      resource_template: "arn:aws:s3:::docs/{resource}",
    },
  },
};

function configFile(extra: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), "leash-config-")), "leash.json");
  writeFileSync(path, JSON.stringify({ ...trust, ...extra }));
  return path;
}

const github = { url: "https://api.github.com", auth: { type: "header", name: "authorization", secret } };

describe("the trust file's gateway section", () => {
  it("is absent unless configured", async () => {
    expect((await readLeashConfig(configFile({}))).gateway).toBeUndefined();
  });

  it("is read and validated with its defaults", async () => {
    const config = await readLeashConfig(
      configFile({
        providers: { vault, "aws-sts": aws },
        gateway: {
          upstreams: {
            github,
            s3: {
              url: "http://127.0.0.1:4566/leash-docs",
              auth: { type: "aws-sigv4", target: "docs-reader", service: "s3", region: "eu-west-1" },
            },
            vault: { url: "http://127.0.0.1:8200", auth: { type: "vault-token", target: "kv-reader" } },
          },
        },
      }),
    );
    expect(config.gateway?.upstreams.github?.auth).toEqual({
      type: "header",
      name: "authorization",
      format: "{secret}",
      secret,
    });
    expect(Object.keys(config.gateway?.upstreams ?? {})).toEqual(["github", "s3", "vault"]);
  });

  it("refuses an invalid section, naming the file and the key", async () => {
    const path = configFile({
      providers: { vault },
      gateway: { upstreams: { github: { ...github, auth: {} } } },
    });
    await expect(readLeashConfig(path)).rejects.toThrow(
      `${path}: gateway.upstreams.github.auth.type: Invalid discriminator value`,
    );
  });

  it("refuses references to targets or a Vault that are not configured", async () => {
    const path = configFile({
      providers: { vault: { ...vault, targets: {} } },
      gateway: {
        upstreams: {
          s3: {
            url: "https://s3.example",
            auth: { type: "aws-sigv4", target: "x", service: "s3", region: "r" },
          },
          vault: { url: "https://vault.example", auth: { type: "vault-token", target: "kv-reader" } },
        },
      },
    });
    const error = await readLeashConfig(path).then(
      () => new Error("accepted"),
      (e: Error) => e,
    );
    expect(error.message).toContain("gateway.upstreams.s3.auth.target: not a target of providers.aws-sts");
    expect(error.message).toContain("gateway.upstreams.vault.auth.target: not a target of providers.vault");
    await expect(readLeashConfig(configFile({ gateway: { upstreams: { github } } }))).rejects.toThrow(
      "gateway.upstreams.github.auth.secret: a vault_kv secret needs gateway.vault or providers.vault",
    );
    const own = { address: "http://127.0.0.1:8200", auth: { method: "token", token_env: "GW_TOKEN" } };
    expect(
      (await readLeashConfig(configFile({ gateway: { upstreams: { github }, vault: own } }))).gateway,
    ).toBeDefined();
  });
});
