import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_API_SECRET,
  DEV_BUCKET,
  type DevApi,
  type DevAws,
  type DevVault,
  devGatewaySection,
  startDevApi,
  startDevAws,
  startDevVault,
} from "./dev-providers.js";

let vault: DevVault;
let aws: DevAws;
let api: DevApi;

beforeAll(async () => {
  [vault, aws] = await Promise.all([startDevVault(), startDevAws()]);
  api = await startDevApi(vault);
});

afterAll(async () => {
  await Promise.all([api?.emulator.close(), vault?.emulator.stop(), aws?.emulator.stop()]);
});

async function vaultGet(path: string, token: string) {
  const res = await fetch(`${vault.emulator.url}/v1/${path}`, { headers: { "x-vault-token": token } });
  return { status: res.status, body: (await res.json()) as { data?: { data?: Record<string, string> } } };
}

describe("the dev stack's gateway upstreams", () => {
  it("keeps the API emulator's key in Vault KV v2 under secret/, written with the root token", async () => {
    const [mount, ...rest] = DEV_API_SECRET.vault_kv.split("/");
    const read = await vaultGet(`${mount}/data/${rest.join("/")}`, vault.emulator.rootToken);
    const key = read.body.data?.data?.[DEV_API_SECRET.key] ?? "";
    expect(key).toMatch(/^dev-[A-Za-z0-9_-]{20,}$/);
    const res = await fetch(`${api.emulator.url}/repos/leash-dev/demo/issues`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([expect.objectContaining({ number: 1, state: "open" })]);
  });

  it("a Vault lease of kv-reader reads secret/ but never the gateway's secrets", async () => {
    const created = await fetch(`${vault.emulator.url}/v1/auth/token/create`, {
      method: "POST",
      headers: { "x-vault-token": vault.emulator.rootToken },
      body: JSON.stringify({ policies: ["kv-read"] }),
    });
    const token = ((await created.json()) as { auth: { client_token: string } }).auth.client_token;
    await fetch(`${vault.emulator.url}/v1/secret/data/app`, {
      method: "POST",
      headers: { "x-vault-token": vault.emulator.rootToken },
      body: JSON.stringify({ data: { greeting: "hello" } }),
    });
    expect((await vaultGet("secret/data/app", token)).status).toBe(200);
    const [mount, ...rest] = DEV_API_SECRET.vault_kv.split("/");
    expect((await vaultGet(`${mount}/data/${rest.join("/")}`, token)).status).toBe(403);
  });

  it("names a header upstream (the API emulator), an aws-sigv4 one (the bucket) and a vault-token one, each on a target the providers configure", () => {
    const section = devGatewaySection({ api, aws, vault }) as {
      upstreams: Record<string, { url: string; auth: Record<string, unknown> }>;
    };
    expect(section.upstreams["demo-api"]).toEqual({
      url: api.emulator.url,
      auth: { type: "header", name: "authorization", format: "Bearer {secret}", secret: DEV_API_SECRET },
    });
    expect(section.upstreams["leash-docs"]).toEqual({
      url: `${aws.emulator.url}/${DEV_BUCKET}`,
      auth: { type: "aws-sigv4", target: "docs-reader", service: "s3", region: "us-east-1" },
    });
    expect(section.upstreams.vault).toEqual({
      url: vault.emulator.url,
      auth: { type: "vault-token", target: "kv-reader" },
    });
    const awsTargets = Object.keys(aws.providerConfig.targets as object);
    const vaultTargets = Object.keys(vault.providerConfig.targets as object);
    expect(awsTargets).toContain("docs-reader");
    expect(vaultTargets).toContain("kv-reader");
  });
});
