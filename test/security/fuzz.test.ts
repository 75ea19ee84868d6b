import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { type ForgeIssuer, startForgeIssuer } from "./support/forge.js";
import {
  bodyText,
  contentType,
  FUZZ_RUNS,
  method,
  queryString,
  smallValue,
  unicodeText,
  weirdId,
} from "./support/fuzz-inputs.js";
import { type FuzzRoute, fill, fuzzRoutes, paramNames } from "./support/fuzz-routes.js";
import { expectProblem, type Seen, violations } from "./support/problem.js";
import { type RawRequest, rawRequest } from "./support/raw-http.js";
import { PARTNER_DOMAIN, rolesWith } from "./support/trust.js";

/** One identity holding every role, so fuzzed requests get past the role checks into validation and services. */
const FUZZER = "spiffe://dev.local/fuzzer";
const BODY_LIMIT = 65_536;

let stack: Stack;
let partner: ForgeIssuer;
let token: string;
let routes: FuzzRoute[];

beforeAll(async () => {
  partner = await startForgeIssuer();
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    // A second trusted issuer whose key the fuzzer holds, so that odd claims arrive with valid signatures.
    extraIssuers: [
      { issuer: partner.issuerUrl, jwks_uri: partner.jwksUri, subject_prefixes: [`${PARTNER_DOMAIN}/`] },
    ],
    config: {
      roles: rolesWith({
        orchestrator: [FUZZER],
        security: [FUZZER],
        agent: [FUZZER, `${PARTNER_DOMAIN}/agent/`],
      }),
    },
    // The fuzzer sends far more than any agent should; the limiter has its own test.
    env: { LEASH_RATE_LIMIT_PER_SECOND: "100000", LEASH_RATE_LIMIT_BURST: "100000" },
  });
  token = await stack.token(FUZZER);
  const task = async () => {
    const res = await stack.call("POST", "/v1/tasks", token, {
      agent: FUZZER,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 3_600,
    });
    return ((await res.json()) as { id: string }).id;
  };
  const taskId = await task();
  const res = await stack.call("POST", "/v1/leases", token, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource: "docs/a.md" },
  });
  const lease = (await res.json()) as { lease_id: string; credential: { token: string } };
  routes = fuzzRoutes({
    subject: FUZZER,
    taskId,
    endableTaskId: await task(),
    leaseId: lease.lease_id,
    token: lease.credential.token,
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await partner?.stop();
});

async function send(req: RawRequest): Promise<Seen> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...req.headers };
  return rawRequest(stack.api, { ...req, headers });
}

function check(seen: Seen, req: RawRequest): void {
  const found = violations(seen, req.method, req.path);
  if (found.length > 0) {
    const shown = JSON.stringify({ ...req, body: req.body?.toString().slice(0, 300) });
    throw new Error(`${found.join(", ")} for ${shown}: ${seen.status} ${seen.body.slice(0, 500)}`);
  }
}

/** `""` stands for no content-type at all. */
const contentTypeHeader = (type: string): Record<string, string> =>
  type === "" ? {} : { "content-type": type };

const property = <T>(arbitrary: fc.Arbitrary<T>, request: (value: T) => RawRequest) =>
  fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const req = request(value);
      check(await send(req), req);
    }),
    { numRuns: FUZZ_RUNS },
  );

describe("the fuzzed surface is the whole API", () => {
  it("every operation in /openapi.json has a fuzzing entry, and no entry is stale", async () => {
    const doc = (await (await fetch(`${stack.api}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const published = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const fuzzed = routes.map((r) => `${r.method} ${r.path}`);
    expect(published.length).toBeGreaterThan(15);
    expect(new Set(fuzzed)).toEqual(new Set(published));
  });
});

describe("bodies: never a 5xx, never a stack trace, always problem+json", () => {
  it.each([
    "/v1/tasks",
    "/v1/leases",
    "/v1/revocations",
    "/v1/introspect",
    "/v1/break-glass",
    "/v1/tasks/{id}/complete",
    "/v1/approvals/{id}/redeem",
    "/v1/agents/{agent}/suspend",
    "/v1/reevaluations",
    "PATCH /v1/tasks/{id}",
  ])("%s with mutated, random and malformed bodies", async (entry) => {
    const [method, path] = entry.includes(" ") ? entry.split(" ") : ["POST", entry];
    const route = routes.find((r) => r.path === path && r.method === method);
    if (!route?.body) throw new Error(`no fuzzing entry for ${method} ${path}`);
    await property(fc.tuple(bodyText(route.body), contentType), ([body, type]) => ({
      method: route.method,
      path: fill(route),
      body,
      headers: contentTypeHeader(type),
    }));
  });

  it("form bodies of the introspection endpoint", async () => {
    const form = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc
        .array(fc.tuple(fc.constantFrom("token", "token", "x", "__proto__"), unicodeText), { maxLength: 4 })
        .map((pairs) => new URLSearchParams(pairs).toString()),
    );
    await property(form, (body) => ({
      method: "POST",
      path: "/v1/introspect",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }));
  });
});

describe("path parameters", () => {
  it("traversal, encodings, control characters and long ids in every parameter of every route", async () => {
    const withParams = routes.filter((r) => paramNames(r).length > 0);
    expect(withParams.length).toBeGreaterThan(8);
    const arbitrary = fc.tuple(fc.constantFrom(...withParams), weirdId, fc.boolean());
    await property(arbitrary, ([route, id, encode]) => {
      const name = paramNames(route)[0] ?? "";
      return {
        method: route.method,
        path: fill(route, { [name]: encode ? encodeURIComponent(id) : id }),
        ...(route.body ? { body: "{}", headers: { "content-type": "application/json" } } : {}),
      };
    });
  });
});

describe("query parameters", () => {
  it("odd values, unknown keys, repeats and malformed escapes on every route that takes a query", async () => {
    const withQuery = routes.filter((r) => r.query);
    const arbitrary = fc
      .constantFrom(...withQuery)
      .chain((route) => queryString(route.query ?? []).map((q) => [route, q] as const));
    await property(arbitrary, ([route, query]) => ({ method: route.method, path: `${route.path}${query}` }));
  });
});

describe("headers and methods", () => {
  const printable = fc.string({ minLength: 0, maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, "x"));

  it("malformed Authorization, odd content types, request ids and idempotency keys", async () => {
    const authorization = fc.oneof(
      fc.constantFrom(
        (t: string) => `bearer ${t}`,
        (t: string) => `Bearer  ${t}  `,
        (t: string) => `Bearer ${t} ${t}`,
        (t: string) => `Bearer ${t},Bearer ${t}`,
        (t: string) => `Basic ${Buffer.from(`a:${t}`).toString("base64")}`,
        (t: string) => t,
        (t: string) => `Bearer ${t.slice(0, -3)}`,
        (t: string) => `Bearer ${t.split(".").reverse().join(".")}`,
        () => "Bearer",
        () => "",
      ),
      printable.map((s) => () => `Bearer ${s}`),
    );
    const arbitrary = fc.record({
      route: fc.constantFrom(...routes),
      authorization,
      type: contentType,
      requestId: printable,
      idempotencyKey: printable,
    });
    await property(arbitrary, ({ route, authorization: auth, type, requestId, idempotencyKey }) => ({
      method: route.method,
      path: fill(route),
      headers: {
        authorization: auth(token),
        "x-request-id": requestId,
        "idempotency-key": idempotencyKey,
        ...contentTypeHeader(type),
      },
      ...(route.body ? { body: "{}" } : {}),
    }));
  });

  it("every method on every route, and paths that name no route", async () => {
    const path = fc.oneof(
      fc.constantFrom(...routes).map((r) => fill(r)),
      weirdId.map((id) => `/v1/${id}`),
      fc.constantFrom(
        "/",
        "/v1",
        "/v1/",
        "//v1/tasks",
        "/v1/tasks/",
        "/V1/TASKS",
        "/v1/./tasks",
        "/.env",
        "/docs",
      ),
    );
    await property(fc.tuple(method, path), ([m, p]) => ({ method: m, path: p }));
  });
});

describe("workload tokens", () => {
  it("signed tokens with odd headers and claims are a 401 or pass; never a 5xx, never a stack", async () => {
    // Small values: a token must fit Node's 16 KiB header limit, which answers 431 before Leash sees the request.
    const claim = fc.oneof(fc.constant(undefined), smallValue);
    const time = fc.oneof(
      fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }).map((d) => Math.floor(Date.now() / 1000) + d),
      claim,
    );
    const claims = fc.record({
      iss: fc.oneof(fc.constant(partner.issuerUrl), claim),
      sub: fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => `${PARTNER_DOMAIN}/agent/${s}`),
        fc.constantFrom(`${PARTNER_DOMAIN}/agent/a`, `${PARTNER_DOMAIN}/agent/a/../b`, `${PARTNER_DOMAIN}/`),
        claim,
      ),
      aud: fc.oneof(fc.constant("leash"), fc.constant(["x", "leash"]), claim),
      exp: time,
      nbf: time,
      iat: time,
      act: claim,
    });
    const header = fc.record(
      { kid: fc.oneof(fc.constant(partner.kid), claim), typ: claim, cty: claim, x5c: claim, zip: claim },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(claims, header, async (c, h) => {
        let signed: string;
        try {
          signed = await partner.sign(c, h);
        } catch {
          fc.pre(false); // a header jose itself refuses to sign
          return;
        }
        const req: RawRequest = { method: "GET", path: "/v1/tasks/fuzz-probe" };
        const seen = await rawRequest(stack.api, { ...req, headers: { authorization: `Bearer ${signed}` } });
        check(seen, req);
        expect([401, 404]).toContain(seen.status);
      }),
      { numRuns: FUZZ_RUNS * 2 },
    );
  });

  it("unsigned and garbled tokens with odd headers are a 401", async () => {
    const part = smallValue.map((v) => Buffer.from(JSON.stringify(v) ?? "null").toString("base64url"));
    const garbled = fc
      .tuple(part, part, fc.uint8Array({ maxLength: 80 }))
      .map(([h, p, sig]) => `${h}.${p}.${Buffer.from(sig).toString("base64url")}`);
    await fc.assert(
      fc.asyncProperty(garbled, async (t) => {
        const req: RawRequest = { method: "GET", path: "/v1/tasks/fuzz-probe" };
        const seen = await rawRequest(stack.api, { ...req, headers: { authorization: `Bearer ${t}` } });
        check(seen, req);
        expect(seen.status).toBe(401);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe("body size limit", () => {
  const padded = (size: number) => {
    const head = '{"agent":"spiffe://dev.local/agent/x","ceiling":[],"ttl_seconds":1,"pad":"';
    return `${head}${"A".repeat(size - head.length - 2)}"}`;
  };

  it(`a body over ${BODY_LIMIT} bytes is 413 payload_too_large, with or without a content-length`, async () => {
    for (const chunked of [false, true]) {
      for (const path of ["/v1/tasks", "/v1/introspect"]) {
        const body = padded(BODY_LIMIT + 1);
        const seen = await send({
          method: "POST",
          path,
          body,
          chunked,
          headers: { "content-type": "application/json" },
        });
        expectProblem(seen, 413, "payload_too_large");
      }
    }
    // Megabytes: refused as soon as the limit is passed, without reading the rest.
    const huge = await send({
      method: "POST",
      path: "/v1/leases",
      body: padded(5 * 1024 * 1024),
      chunked: true,
      headers: { "content-type": "application/json" },
    });
    expectProblem(huge, 413, "payload_too_large");
  });

  it("a body just under the limit is read and validated (the limit is not lower than documented)", async () => {
    const seen = await send({
      method: "POST",
      path: "/v1/tasks",
      body: padded(BODY_LIMIT - 10),
      headers: { "content-type": "application/json" },
    });
    expectProblem(seen, 400, "invalid_request");
  });
});
