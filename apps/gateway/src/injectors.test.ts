import type { GatewayGrant, LeaseCredentials, VaultKvReader } from "@leash/providers";
import { describe, expect, it } from "vitest";
import { type Injector, sigV4Injector, staticInjector, vaultTokenInjector } from "./injectors.js";
import type { OutgoingRequest } from "./outgoing.js";

const grant: GatewayGrant = {
  leaseId: "l1",
  taskId: "t1",
  agent: "spiffe://a/agent",
  upstream: "u",
  action: "read",
  resource: "docs/",
  methods: ["GET"],
  issuedAt: Date.UTC(2026, 0, 1),
  expiresAt: Date.UTC(2026, 0, 1, 1),
};
const never = new AbortController().signal;
const outgoing = (): OutgoingRequest => ({
  method: "GET",
  host: "upstream.example",
  path: "/docs/a",
  query: [],
  headers: {},
});

/** Hands out whatever `current` holds, as LeaseCredentials does for a lease until it is renewed or ended. */
function credentialsOf(
  initial: Record<string, unknown>,
): LeaseCredentials & { current: Record<string, unknown> } {
  return {
    current: initial,
    async get() {
      return this.current;
    },
    async end() {},
    async sweep() {},
    async endIssuedBefore() {},
    size: () => 1,
    async close() {},
  };
}

async function twice(injector: Injector): Promise<[readonly string[], readonly string[]]> {
  return [await injector.inject(outgoing(), grant, never), await injector.inject(outgoing(), grant, never)];
}

describe("the secrets an injector reports", () => {
  it("are the same list while the credential is the same, and a new one once it changes", async () => {
    let secret = "static-secret-1";
    const kv: VaultKvReader = {
      async start() {},
      read: async () => secret,
      close() {},
    };
    const header = staticInjector(
      { type: "header", name: "x-api-key", format: "{secret}", secret: { vault_kv: "secret/x", key: "k" } },
      kv,
    );
    const [a, b] = await twice(header);
    expect(a).toBe(b);
    expect(a).toEqual(["static-secret-1"]);
    secret = "static-secret-2";
    expect(await header.inject(outgoing(), grant, never)).toEqual(["static-secret-2"]);

    const vault = credentialsOf({ token: "hvs.one" });
    const token = vaultTokenInjector(vault);
    const [c, d] = await twice(token);
    expect(c).toBe(d);
    vault.current = { token: "hvs.two" };
    expect(await token.inject(outgoing(), grant, never)).toEqual(["hvs.two"]);

    const aws = credentialsOf({
      access_key_id: "ASIAEXAMPLE",
      secret_access_key: "secret/key+example",
      session_token: "session-token-example",
    });
    const sigv4 = sigV4Injector(aws, { service: "s3", region: "us-east-1" }, { now: () => grant.issuedAt });
    const [e, f] = await twice(sigv4);
    expect(e).toBe(f);
    expect(e).toEqual(["session-token-example", "secret/key+example"]);
  });
});

describe("what the agent may not send", () => {
  it("drops Range except on S3, where the session's token is never reflected", async () => {
    const kv: VaultKvReader = { async start() {}, read: async () => "s", close() {} };
    const header = staticInjector(
      { type: "header", name: "x-api-key", format: "{secret}", secret: { vault_kv: "secret/x", key: "k" } },
      kv,
    );
    const aws = credentialsOf({});
    const s3 = sigV4Injector(aws, { service: "s3", region: "us-east-1" }, { now: Date.now });
    const other = sigV4Injector(aws, { service: "execute-api", region: "us-east-1" }, { now: Date.now });
    expect(header.reservedHeaders.has("range")).toBe(true);
    expect(vaultTokenInjector(aws).reservedHeaders.has("if-range")).toBe(true);
    expect(other.reservedHeaders.has("range")).toBe(true);
    expect(s3.reservedHeaders.has("range")).toBe(false);
  });
});
