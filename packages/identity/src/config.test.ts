import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfigFile, parseTrustConfig } from "./config.js";
import { tempDir } from "./testing/keys.js";

const documented = {
  audience: "leash",
  issuers: [
    { issuer: "https://issuer.example", jwks_uri: "https://issuer.example/jwks.json" },
    { issuer: "https://other.example", jwks_file: "/etc/leash/other-jwks.json" },
  ],
  roles: {
    orchestrator: ["spiffe://example.org/orchestrator"],
    security: ["spiffe://example.org/security/"],
    agent: ["spiffe://example.org/agent/"],
  },
};

function issuerWith(fields: Record<string, unknown>) {
  return { ...documented, issuers: [{ issuer: "https://issuer.example", ...fields }] };
}

describe("parseTrustConfig", () => {
  it("accepts the documented minimal form and ignores top-level keys that belong to others", () => {
    const config = parseTrustConfig({ ...documented, redis: { url: "redis://x" }, providers: {} }, "/cfg");
    expect(config).toEqual(documented);
  });

  it("resolves a relative jwks_file against the configuration file's directory", () => {
    const config = parseTrustConfig(issuerWith({ jwks_file: "keys/jwks.json" }), "/etc/leash");
    expect(config.issuers[0]?.jwks_file).toBe("/etc/leash/keys/jwks.json");
  });

  it("accepts an issuer's algorithm subset and subject prefixes", () => {
    const raw = issuerWith({
      jwks_uri: "https://i/j",
      algorithms: ["ES256"],
      subject_prefixes: ["spiffe://a/"],
    });
    expect(parseTrustConfig(raw, "/").issuers[0]).toMatchObject({ algorithms: ["ES256"] });
  });

  it.each([
    ["both key sources", { jwks_uri: "https://i/j", jwks_file: "/j" }, "issuers[0]: exactly one of"],
    ["no key source", {}, "issuers[0]: exactly one of"],
    [
      "plain http off loopback",
      { jwks_uri: "http://issuer.example/j" },
      "issuers[0].jwks_uri: must use https",
    ],
    ["a non-http scheme", { jwks_uri: "file:///etc/jwks.json" }, "issuers[0].jwks_uri"],
    ["an HMAC algorithm", { jwks_uri: "https://i/j", algorithms: ["HS256"] }, "issuers[0].algorithms[0]"],
    ["alg none", { jwks_uri: "https://i/j", algorithms: ["none"] }, "issuers[0].algorithms[0]"],
    ["a misspelt key", { jwks_url: "https://i/j", jwks_file: "/j" }, "jwks_url"],
  ])("refuses an issuer with %s, naming the key path", (_, fields, expected) => {
    expect(() => parseTrustConfig(issuerWith(fields), "/")).toThrow(expected);
  });

  it("accepts plain http for a loopback JWKS (the dev issuer)", () => {
    expect(() =>
      parseTrustConfig(issuerWith({ jwks_uri: "http://127.0.0.1:4000/jwks.json" }), "/"),
    ).not.toThrow();
  });

  it("refuses the same issuer listed twice", () => {
    const raw = { ...documented, issuers: [documented.issuers[0], documented.issuers[0]] };
    expect(() => parseTrustConfig(raw, "/")).toThrow("issuers[1].issuer: duplicate issuer");
  });

  it("refuses an unknown role name and a missing audience, naming both", () => {
    const raw = { issuers: documented.issuers, roles: { admin: ["x"] } };
    expect(() => parseTrustConfig(raw, "/")).toThrow(/audience: .*; roles: .*admin/);
  });
});

describe("loadConfigFile", () => {
  const { dir, remove } = tempDir();
  afterAll(remove);

  it("reads JSON, and YAML when the name ends in .yaml or .yml", async () => {
    writeFileSync(join(dir, "a.json"), JSON.stringify(documented));
    writeFileSync(join(dir, "a.yaml"), "audience: leash\nissuers: []\n");
    writeFileSync(join(dir, "a.yml"), "audience: leash\n");
    expect(await loadConfigFile(join(dir, "a.json"))).toEqual(documented);
    expect(await loadConfigFile(join(dir, "a.yaml"))).toEqual({ audience: "leash", issuers: [] });
    expect(await loadConfigFile(join(dir, "a.yml"))).toEqual({ audience: "leash" });
  });

  it("names the file and the problem without quoting the file's text, which may hold secrets", async () => {
    const json = join(dir, "bad.json");
    writeFileSync(json, '{ "vault_token": "s.SECRET", oops }');
    const yaml = join(dir, "bad.yaml");
    writeFileSync(yaml, 'vault_token: "s.SECRET\n  - : [');
    await expect(loadConfigFile(json)).rejects.toThrow(`config file ${json} is not valid JSON`);
    await expect(loadConfigFile(json)).rejects.not.toThrow("SECRET");
    await expect(loadConfigFile(yaml)).rejects.toThrow(
      new RegExp(`config file ${yaml} is not valid YAML: .*line`),
    );
    await expect(loadConfigFile(yaml)).rejects.not.toThrow("SECRET");
  });

  it("names a missing file", async () => {
    const missing = join(dir, "missing.json");
    await expect(loadConfigFile(missing)).rejects.toThrow(`cannot read config file ${missing}: ENOENT`);
  });
});
