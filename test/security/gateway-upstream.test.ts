import { waitFor, writeKvSecret } from "@leash/devstack";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTask } from "../support/fixtures.js";
import { agentId, SECURITY } from "../support/stack.js";
import { head, rawExchange } from "./support/gateway-raw.js";
import { type GatewayLease, type GatewayStack, startGatewayStack } from "./support/gateway-stack.js";

/**
 * The hostile agent's requests that HTTP parses fine: each must reach the configured upstream with the injected
 * key and nothing the agent could use to point it elsewhere, or be refused with nothing sent anywhere. The API
 * emulator records what it receives; another origin (`elsewhere`) must never hear from the gateway; no byte the
 * agent gets back may hold the key.
 */
let g: GatewayStack;
let repo: GatewayLease;
const REPO = "repos/leash-dev/demo/";

/** Every gateway token handed out in this file: none may show up in what the processes print. */
const tokens: string[] = [];

beforeAll(async () => {
  // Debug logs: where a careless log line would print a secret.
  g = await startGatewayStack({ LOG_LEVEL: "debug" });
  const lease = g.lease.bind(g);
  g.lease = async (...args) => {
    const issued = await lease(...args);
    tokens.push(issued.token);
    return issued;
  };
  repo = await g.lease("gw-hostile", "demo-api", { action: "read", resource: REPO });
}, 120_000);
afterAll(async () => {
  await g?.stop();
});
beforeEach(() => {
  g.api.emulator.clear();
});

const host = (): [string, string] => ["Host", `127.0.0.1:${g.port}`];
const bearer = (lease: GatewayLease = repo): [string, string] => ["Authorization", `Bearer ${lease.token}`];

/** What the agent got holds no form of the key, and no origin but the configured one heard from the gateway. */
function expectKeyContained(answer: string) {
  expect(answer).not.toContain(g.apiKey);
  expect(answer).not.toContain(encodeURIComponent(g.apiKey));
  expect(g.elsewhere.hits).toEqual([]);
}

/** Every request the upstream received carried the injected key alone, never the agent's token. */
function expectUpstreamSawOnlyTheKey(lease: GatewayLease = repo) {
  for (const r of g.api.emulator.received) {
    const auth = r.headers.filter(([n]) => n.toLowerCase() === "authorization").map(([, v]) => v);
    expect(auth).toEqual([`Bearer ${g.apiKey}`]);
    expect(JSON.stringify(r)).not.toContain(lease.token);
  }
}

const problemType = (text: string) => /"type":"urn:leash:problem:([a-z_]+)"/.exec(text)?.[1];

describe("relaying within the intent", () => {
  it("injects the key from Vault KV in place of the agent's token", async () => {
    const res = await fetch(`${repo.baseUrl}${REPO}issues`, {
      headers: { authorization: `Bearer ${repo.token}` },
    });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(g.api.emulator.received.map((r) => [r.path, r.authorized])).toEqual([[`/${REPO}issues`, true]]);
    expectUpstreamSawOnlyTheKey();
    expectKeyContained(body + JSON.stringify([...res.headers]));
  });

  it("signs S3 requests itself (SigV4 with an STS session for the intent): an unsigned agent reads and lists", async () => {
    const docs = await g.lease("gw-s3", "leash-docs", { action: "read", resource: "docs/" });
    const object = await fetch(`${docs.baseUrl}docs/readme.md`, {
      headers: { authorization: `Bearer ${docs.token}` },
    });
    expect(object.status).toBe(200);
    expect(await object.text()).toBe("# Leash docs");
    const lister = await g.lease("gw-s3", "leash-docs", { action: "list", resource: "docs/" });
    const list = await fetch(`${lister.baseUrl}?list-type=2&prefix=docs/`, {
      headers: { authorization: `Bearer ${lister.token}` },
    });
    const xml = await list.text();
    expect(list.status, xml).toBe(200);
    expect(xml).toContain("<Key>docs/readme.md</Key>");
    expect(xml).not.toContain("reports/");
    const outside = await fetch(`${docs.baseUrl}reports/q3.md`, {
      headers: { authorization: `Bearer ${docs.token}` },
    });
    expect(outside.status).toBe(403);
    expect(outside.headers.get("x-leash-gateway")).toBe("1");
  });
});

describe("the other credential kinds", () => {
  it("S3 writes are signed too, the body streamed with the agent's length", async () => {
    const writer = await g.lease("gw-s3", "leash-docs", { action: "write", resource: "docs/" });
    const put = await fetch(`${writer.baseUrl}docs/new%20file.md`, {
      method: "PUT",
      headers: { authorization: `Bearer ${writer.token}`, "content-type": "text/markdown" },
      body: "written through the gateway",
    });
    expect(put.status, await put.text()).toBe(200);
    const reader = await g.lease("gw-s3", "leash-docs", { action: "read", resource: "docs/" });
    const get = await fetch(`${reader.baseUrl}docs/new%20file.md`, {
      headers: { authorization: `Bearer ${reader.token}` },
    });
    expect(await get.text()).toBe("written through the gateway");
  });

  it("Vault's own API gets a token minted for the lease as X-Vault-Token, never the agent's", async () => {
    await writeKvSecret(g.vault.emulator, "secret/app/config", { colour: "teal" });
    const lease = await g.lease("gw-vault", "vault", { action: "read", resource: "v1/secret/data/app/" });
    const res = await fetch(`${lease.baseUrl}v1/secret/data/app/config`, {
      headers: { authorization: `Bearer ${lease.token}`, "x-vault-token": g.vault.emulator.rootToken },
    });
    const body = (await res.json()) as { data?: { data?: Record<string, string> } };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.data?.data).toEqual({ colour: "teal" });
    // The agent's X-Vault-Token (the root token here) is dropped: with the kv-read token the gateway minted, Vault
    // itself refuses the gateway's own secrets, although the intent covers the path.
    const wide = await g.lease("gw-vault", "vault", { action: "read", resource: "v1/secret/data/" });
    const gatewaySecret = await fetch(`${wide.baseUrl}v1/secret/data/gateway/demo-api`, {
      headers: { authorization: `Bearer ${wide.token}`, "x-vault-token": g.vault.emulator.rootToken },
    });
    expect(gatewaySecret.headers.get("x-leash-gateway")).toBeNull();
    expect(await gatewaySecret.text()).not.toContain(g.apiKey);
    expect(gatewaySecret.status).toBe(403);
  });
});

describe("a Vault token that shows itself", () => {
  it("cuts Vault's auth/token/lookup-self, whose answer holds the token the gateway injected", async () => {
    const lease = await g.lease("gw-vault", "vault", {
      action: "read",
      resource: "v1/auth/token/lookup-self",
    });
    const answer = await rawExchange(
      g.port,
      head("GET /u/vault/v1/auth/token/lookup-self HTTP/1.1", [
        host(),
        bearer(lease),
        ["Connection", "close"],
      ]),
    );
    expect(answer.closed).toBe(true);
    expect(answer.text).not.toMatch(/"id":"/);
    const security = await g.stack.token(SECURITY);
    const event = await waitFor(
      async () => {
        const res = await g.stack.call("GET", "/v1/audit?type=gateway.request&limit=1000", security);
        const body = (await res.json()) as { items: { lease_id?: string; detail?: { reason?: string } }[] };
        return body.items.find((e) => e.lease_id === lease.leaseId);
      },
      { timeoutMs: 5_000, intervalMs: 50, what: "the cut's audit event" },
    );
    expect(event.detail?.reason).toBe("secret_in_body");
  });
});

describe("spoofed routing headers", () => {
  it("sends Host as the upstream's authority and drops Forwarded, X-Forwarded-* and X-Real-IP", async () => {
    const answer = await rawExchange(
      g.port,
      head(`GET /u/demo-api/${REPO}issues HTTP/1.1`, [
        ["Host", "evil.example"],
        bearer(),
        ["X-Forwarded-Host", "evil.example"],
        ["X-Forwarded-For", "10.0.0.1"],
        ["X-Forwarded-Proto", "http"],
        ["Forwarded", "for=10.0.0.1;host=evil.example"],
        ["X-Real-IP", "10.0.0.1"],
        ["Connection", "close"],
      ]),
    );
    expect(answer.status, answer.text).toBe(200);
    const [received] = g.api.emulator.received;
    const names = (received?.headers ?? []).map(([n, v]) => [n.toLowerCase(), v]);
    expect(names.filter(([n]) => n === "host")).toEqual([["host", new URL(g.api.emulator.url).host]]);
    expect(
      names
        .map(([n]) => n)
        .filter((n) => n?.startsWith("x-forwarded") || n === "forwarded" || n === "x-real-ip"),
    ).toEqual([]);
    expectUpstreamSawOnlyTheKey();
    expectKeyContained(answer.text);
  });

  it("drops method and path overrides some servers obey after the gateway checked method and path", async () => {
    const answer = await rawExchange(
      g.port,
      head(`GET /u/demo-api/${REPO}issues HTTP/1.1`, [
        host(),
        bearer(),
        ["X-HTTP-Method-Override", "DELETE"],
        ["X-Method-Override", "DELETE"],
        ["X-Original-URL", "/admin"],
        ["X-Rewrite-URL", "/admin"],
        ["Connection", "close"],
      ]),
    );
    expect(answer.status).toBe(200);
    const names = (g.api.emulator.received[0]?.headers ?? []).map(([n]) => n.toLowerCase());
    expect(names.filter((n) => /override|original|rewrite/.test(n))).toEqual([]);
  });

  it("drops Vault's request controls: a wrapped answer would carry the injected token out, a namespace move the path", async () => {
    // With X-Vault-Wrap-TTL, Vault answers `auth/token/lookup-self` with a wrapping token instead of the data: the
    // agent unwraps it at Vault itself and holds the injected token, which no scan of the answer could see.
    // X-Vault-Namespace prefixes every path with a namespace the intent never named. Any upstream may be a Vault
    // (a vault-token upstream, or a header upstream injecting X-Vault-Token): the headers never leave the gateway.
    const controls: [string, string][] = [
      ["X-Vault-Wrap-TTL", "300s"],
      ["X-Vault-Wrap-Format", "jwt"],
      ["X-Vault-Namespace", "other-team/"],
      ["X-Vault-Policy-Override", "true"],
    ];
    const answer = await rawExchange(
      g.port,
      head(`GET /u/demo-api/${REPO}issues HTTP/1.1`, [
        host(),
        bearer(),
        ...controls,
        ["Connection", "close"],
      ]),
    );
    expect(answer.status, answer.text).toBe(200);
    const names = (g.api.emulator.received[0]?.headers ?? []).map(([n]) => n.toLowerCase());
    expect(g.api.emulator.received).toHaveLength(1);
    expect(names.filter((n) => n.startsWith("x-vault-"))).toEqual([]);
  });
});

describe("path tricks", () => {
  const tricks: [string, string][] = [
    ["dot segments", `${REPO}../../admin`],
    ["a single dot segment", `${REPO}./issues`],
    ["encoded dots", `${REPO}%2e%2e/%2e%2e/admin`],
    ["encoded slash", `repos%2Fleash-dev%2Fdemo%2Fissues`],
    ["encoded slash and dots", `${REPO}..%2F..%2Fadmin`],
    ["double encoding", `${REPO}%252e%252e/%252e%252e/admin`],
    ["backslashes", `${REPO}..\\..\\admin`],
    ["encoded backslash", `${REPO}..%5C..%5Cadmin`],
    ["overlong UTF-8 dots", `${REPO}%C0%AE%C0%AE/admin`],
    ["overlong UTF-8 slash", `${REPO}..%C0%AFadmin`],
    ["fullwidth dots", `${REPO}%EF%BC%8E%EF%BC%8E/admin`],
    ["an empty segment", `repos/leash-dev//demo/issues`],
    ["a NUL", `${REPO}issues%00.json`],
    ["CR/LF in the path", `${REPO}issues%0D%0AHost:%20evil.example`],
    ["a dot segment before ;", `${REPO}..;/admin`],
    ["dots and '+', which some servers decode to spaces (then trimmed: '..')", `${REPO}..+/..+/admin`],
    ["'+' and dots before ;", `${REPO}+.+;/issues`],
    ["a neighbour", `repos/leash-dev/demo-secret/issues`],
    ["the parent", `repos/leash-dev/`],
  ];
  for (const [name, path] of tricks) {
    it(`refuses ${name} (403 outside_intent) and sends nothing upstream`, async () => {
      const answer = await rawExchange(
        g.port,
        head(`GET /u/demo-api/${path} HTTP/1.1`, [host(), bearer(), ["Connection", "close"]]),
      );
      expect(answer.status, answer.text).toBe(403);
      expect(problemType(answer.text)).toBe("outside_intent");
      expect(answer.text).toContain("x-leash-gateway: 1");
      expect(g.api.emulator.received).toEqual([]);
      expectKeyContained(answer.text);
    });
  }
});

describe("tokens out of place", () => {
  it("refuses a token under another upstream (401), with nothing sent to either", async () => {
    for (const upstream of ["vault", "leash-docs"]) {
      const res = await fetch(`${g.gateway}/u/${upstream}/${REPO}issues`, {
        headers: { authorization: `Bearer ${repo.token}` },
      });
      expect(res.status).toBe(401);
      expect((await res.json()) as { type: string }).toMatchObject({
        type: "urn:leash:problem:unauthenticated",
      });
    }
    expect(g.api.emulator.received).toEqual([]);
  });

  it("refuses an OAuth access token Leash minted for the gateway's own base_url (same keys, iss and aud)", async () => {
    // RFC 8707 lets an agent name any loopback URL as the resource: Leash then signs an at+jwt whose aud is the
    // gateway's base_url. Only typ and the gateway claims tell it from a gateway token, and both are checked.
    const agent = agentId("gw-oauth");
    const task = await createTask(g.stack, "gw-oauth", {
      ceiling: [{ action: "read", resource: `${REPO}*` }],
    });
    const res = await fetch(`${g.stack.api}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: await g.stack.token(agent),
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        resource: repo.baseUrl,
        scope: `task:${task} read:${REPO}issues`,
      }),
    });
    const issued = (await res.json()) as { access_token?: string };
    expect(res.status, JSON.stringify(issued)).toBe(200);
    const answer = await fetch(`${repo.baseUrl}${REPO}issues`, {
      headers: { authorization: `Bearer ${issued.access_token}` },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-leash-gateway")).toBe("1");
    expect(g.api.emulator.received).toEqual([]);
  });

  it("refuses a gateway token anywhere on the API: it is no workload identity", async () => {
    for (const [method, path] of [
      ["GET", "/v1/leases"],
      ["POST", "/v1/tasks"],
      ["POST", "/v1/introspect"],
      ["POST", "/mcp"],
    ] as const) {
      const res = await g.stack.call(method, path, repo.token, method === "POST" ? {} : undefined);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await res.text()).not.toContain(repo.token);
    }
    for (const path of ["/oauth/introspect", "/oauth/revoke"]) {
      const res = await fetch(`${g.stack.api}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${repo.token}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token: repo.token }),
      });
      expect(res.status, path).toBe(401);
      expect(await res.text()).not.toContain(repo.token);
    }
  });

  it("compares upstream names byte for byte (404), and needs the token in Authorization", async () => {
    for (const path of [`/u/DEMO-API/${REPO}issues`, `/u/demo%2Dapi/${REPO}issues`]) {
      const answer = await rawExchange(
        g.port,
        head(`GET ${path} HTTP/1.1`, [host(), bearer(), ["Connection", "close"]]),
      );
      expect(answer.status, path).toBe(404);
    }
    const inQuery = await fetch(`${repo.baseUrl}${REPO}issues?access_token=${repo.token}`);
    expect(inQuery.status).toBe(401);
    expect(g.api.emulator.received).toEqual([]);
  });
});

describe("what the upstream sends back", () => {
  it("relays a redirect to another origin without following it, so the key never goes there", async () => {
    const lease = await g.lease("gw-hostile", "demo-api", { action: "read", resource: "redirect" });
    const to = `${g.elsewhere.url}/steal`;
    const answer = await rawExchange(
      g.port,
      head(`GET /u/demo-api/redirect?to=${encodeURIComponent(to)} HTTP/1.1`, [
        host(),
        bearer(lease),
        ["Connection", "close"],
      ]),
    );
    expect(answer.status).toBe(302);
    expect(answer.text).toContain(`location: ${to}`);
    expect(g.api.emulator.received).toHaveLength(1);
    expectKeyContained(answer.text);
  });

  it("redacts the key where an upstream echoes request headers back, and cuts a body that shows it", async () => {
    const lease = await g.lease("gw-hostile", "demo-api", { action: "read", resource: "echo-headers" });
    const headOnly = await rawExchange(
      g.port,
      head("HEAD /u/demo-api/echo-headers HTTP/1.1", [host(), bearer(lease), ["Connection", "close"]]),
    );
    expect(headOnly.status, headOnly.text).toBe(200);
    expect(headOnly.text).toContain("x-echo-authorization: Bearer [redacted]");
    const full = await rawExchange(
      g.port,
      head("GET /u/demo-api/echo-headers HTTP/1.1", [host(), bearer(lease), ["Connection", "close"]]),
    );
    expect(full.closed).toBe(true);
    expect(g.api.emulator.received).toHaveLength(2);
    expectKeyContained(headOnly.text + full.text);
  });
});

describe("ended leases", () => {
  it("refuses the next request within a second of a return (403 lease_not_live)", async () => {
    const lease = await g.lease("gw-hostile", "demo-api", { action: "read", resource: REPO });
    const ok = await fetch(`${lease.baseUrl}${REPO}issues`, {
      headers: { authorization: `Bearer ${lease.token}` },
    });
    expect(ok.status).toBe(200);
    const agentToken = await g.stack.token(agentId("gw-hostile"));
    const returned = await g.stack.call("DELETE", `/v1/leases/${lease.leaseId}`, agentToken);
    expect(returned.status).toBe(202);
    const ordered = Date.now();
    await waitFor(
      async () => {
        const res = await fetch(`${lease.baseUrl}${REPO}issues`, {
          headers: { authorization: `Bearer ${lease.token}` },
        });
        const body = await res.text();
        return res.status === 403 && body.includes("lease_not_live") ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: "the gateway to refuse the returned lease" },
    );
    expect(Date.now() - ordered).toBeLessThan(1_000);
  });
});

describe("audit", () => {
  it("records every request, refused ones included, in GET /v1/audit within 2 s, without header or query values", async () => {
    const marker = `q-${Date.now()}`;
    const ok = await fetch(`${repo.baseUrl}${REPO}issues?marker=${marker}`, {
      headers: { authorization: `Bearer ${repo.token}`, "x-custom": marker },
    });
    await ok.text();
    const outside = `repos/other-${Date.now()}/issues`;
    const refused = await fetch(`${repo.baseUrl}${outside}?marker=${marker}`, {
      headers: { authorization: `Bearer ${repo.token}` },
    });
    await refused.text();
    const sent = Date.now();
    const security = await g.stack.token(SECURITY);
    type Item = { lease_id?: string; agent?: string; detail?: Record<string, unknown> };
    const items = await waitFor(
      async () => {
        const res = await g.stack.call("GET", "/v1/audit?type=gateway.request&limit=1000", security);
        const body = (await res.json()) as { items: Item[] };
        const mine = body.items.filter((e) => e.lease_id === repo.leaseId);
        const refusedOne = mine.find((e) => e.detail?.path === outside);
        const relayed = mine.findLast((e) => e.detail?.path === `${REPO}issues` && e.detail?.status === 200);
        return refusedOne && relayed ? { refusedOne, relayed, mine } : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 50, what: "the gateway's audit events" },
    );
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(items.refusedOne).toMatchObject({
      agent: agentId("gw-hostile"),
      detail: { upstream: "demo-api", method: "GET", status: 403, reason: "outside_intent" },
    });
    expect(items.relayed.detail).toMatchObject({ upstream: "demo-api", bytes_in: 0 });
    expect(Number(items.relayed.detail?.bytes_out)).toBeGreaterThan(0);
    expect(JSON.stringify(items.mine)).not.toContain(marker);
    expect(JSON.stringify(items.mine)).not.toContain(repo.token);
  });
});

describe("what the processes printed", () => {
  it("holds no secret: not the injected key, the gateway's Vault or AWS credentials, nor any gateway token", () => {
    // Runs last, at debug level: every attack above has been logged by now.
    const output = g.stack.output();
    expect(output).toContain("leash gateway listening");
    const secrets: Record<string, string | undefined> = {
      "the API key": g.apiKey,
      "the API key, percent-encoded": encodeURIComponent(g.apiKey),
      "the Vault token": g.vault.emulator.rootToken,
      "the AWS secret key": g.aws.env.AWS_SECRET_ACCESS_KEY,
      ...Object.fromEntries(tokens.map((t, i) => [`gateway token #${i}`, t])),
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret, what).toBeTruthy();
      expect(output.includes(secret ?? ""), what).toBe(false);
    }
  });
});
