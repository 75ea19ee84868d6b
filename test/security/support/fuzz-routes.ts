import fc from "fast-check";

/** What the fuzzer needs to know about the running stack to build valid requests. */
export interface FuzzFixture {
  subject: string;
  /** An active task bound to the fuzzing identity (leases are issued under it). */
  taskId: string;
  /** A task the fuzzer may end: completing it must not stop the issuance properties. */
  endableTaskId: string;
  leaseId: string;
  token: string;
}

export interface FuzzRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** As in /openapi.json, `{name}` for each path parameter. */
  path: string;
  /** A valid value for each path parameter. */
  params?: Record<string, string>;
  /** A valid body; absent for routes that take none. */
  body?: fc.Arbitrary<unknown>;
  query?: string[];
  anonymous?: boolean;
}

const PROVIDERS = ["leash-jwt", "aws-sts", "vault"] as const;

const intent = (resource: fc.Arbitrary<string>) =>
  fc.record(
    {
      action: fc.constantFrom("read", "write", "list"),
      resource,
      tool: fc.constantFrom("docs-api", "editor"),
      sensitivity: fc.constantFrom("public", "internal", "confidential", "restricted"),
      destination: fc.constantFrom("warehouse.internal", "pastebin"),
      purpose: fc.string({ minLength: 1, maxLength: 20 }),
    },
    { requiredKeys: ["action", "resource"] },
  );

const concrete = fc.constantFrom("docs/a.md", "docs/b/c.md", "reports/q3.md");
const pattern = fc.constantFrom("docs/*", "docs/a.md", "*", "reports/*");

export function fuzzRoutes(f: FuzzFixture): FuzzRoute[] {
  const ceiling = fc.array(intent(pattern), { minLength: 1, maxLength: 3 });
  const taskBody = fc.record(
    {
      id: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/),
      agent: fc.constantFrom(f.subject, "spiffe://dev.local/agent/fuzzed"),
      ceiling,
      ttl_seconds: fc.integer({ min: 1, max: 600 }),
      parent_id: fc.constant(f.taskId),
      labels: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    },
    { requiredKeys: ["agent", "ceiling", "ttl_seconds"] },
  );
  const leaseBody = fc.record(
    {
      task_id: fc.constant(f.taskId),
      provider: fc.constantFrom(...PROVIDERS),
      target: fc.constantFrom("docs-reader", "kv-reader", "nope"),
      intent: intent(concrete),
      ttl_seconds: fc.integer({ min: 1, max: 600 }),
    },
    { requiredKeys: ["task_id", "provider", "intent"] },
  );
  const selector = fc.record(
    {
      agent: fc.constant("spiffe://dev.local/agent/fuzzed"),
      agent_prefix: fc.constant("spiffe://dev.local/agent/fuzzed-"),
      task_id: fc.constant(f.endableTaskId),
      provider: fc.constantFrom(...PROVIDERS),
      target: fc.constant("kv-reader"),
      issued_before: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      include_delegated: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const revocationBody = fc.record(
    { selector, reason: fc.string({ minLength: 1, maxLength: 40 }), dry_run: fc.boolean() },
    { requiredKeys: ["selector", "reason"] },
  );
  const breakGlassBody = fc.record({
    task_id: fc.constant(f.endableTaskId),
    justification: fc.string({ minLength: 10, maxLength: 60 }),
    ttl_seconds: fc.integer({ min: 1, max: 120 }),
    ceiling,
  });
  const introspectBody = fc.record({ token: fc.oneof(fc.constant(f.token), fc.string({ maxLength: 50 })) });
  const narrowBody = fc.record({ ceiling });
  const suspendBody = fc.record(
    {
      reason: fc.string({ minLength: 1, maxLength: 40 }),
      until: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      include_delegated: fc.boolean(),
    },
    { requiredKeys: ["reason"] },
  );
  const reevaluationBody = fc.record({ dry_run: fc.boolean() }, { requiredKeys: [] });
  // Never the fuzzing identity itself: suspending it would refuse every later request.
  const victim = { agent: encodeURIComponent("spiffe://dev.local/agent/fuzzed") };
  const none = fc.constant({});
  const id = { id: "does-not-exist" };

  return [
    { method: "GET", path: "/healthz", anonymous: true },
    { method: "GET", path: "/readyz", anonymous: true },
    { method: "GET", path: "/.well-known/jwks.json", anonymous: true },
    { method: "POST", path: "/v1/tasks", body: taskBody },
    { method: "GET", path: "/v1/tasks/{id}", params: { id: f.taskId } },
    { method: "POST", path: "/v1/tasks/{id}/complete", params: { id: f.endableTaskId }, body: none },
    { method: "POST", path: "/v1/tasks/{id}/cancel", params: { id: f.endableTaskId }, body: none },
    { method: "PATCH", path: "/v1/tasks/{id}", params: { id: f.endableTaskId }, body: narrowBody },
    { method: "POST", path: "/v1/agents/{agent}/suspend", params: victim, body: suspendBody },
    { method: "DELETE", path: "/v1/agents/{agent}/suspend", params: victim },
    { method: "POST", path: "/v1/reevaluations", body: reevaluationBody },
    { method: "GET", path: "/v1/reevaluations" },
    { method: "GET", path: "/v1/reevaluations/{id}", params: id },
    { method: "POST", path: "/v1/leases", body: leaseBody },
    {
      method: "GET",
      path: "/v1/leases",
      query: ["agent", "task_id", "provider", "target", "state", "cursor", "limit"],
    },
    { method: "GET", path: "/v1/leases/{id}", params: { id: f.leaseId } },
    { method: "DELETE", path: "/v1/leases/{id}", params: id },
    { method: "POST", path: "/v1/revocations", body: revocationBody },
    { method: "GET", path: "/v1/revocations/{id}", params: id },
    { method: "POST", path: "/v1/introspect", body: introspectBody },
    {
      method: "GET",
      path: "/v1/agents/{agent}/exposure",
      params: { agent: encodeURIComponent(f.subject) },
      query: ["include_delegated"],
    },
    { method: "GET", path: "/v1/audit", query: ["since", "limit", "type", "agent", "task_id"] },
    { method: "GET", path: "/v1/audit/verify" },
    { method: "GET", path: "/v1/audit/export", query: ["since"] },
    { method: "GET", path: "/v1/approvals", query: ["state", "limit"] },
    { method: "POST", path: "/v1/approvals/{id}/approve", params: id, body: none },
    { method: "POST", path: "/v1/approvals/{id}/deny", params: id, body: none },
    { method: "POST", path: "/v1/approvals/{id}/redeem", params: id, body: none },
    { method: "POST", path: "/v1/break-glass", body: breakGlassBody },
    { method: "DELETE", path: "/v1/break-glass/{id}", params: id },
    // The authorization server: form bodies (see oauth-token-endpoint.test.ts for theirs), anonymous or not.
    { method: "GET", path: "/.well-known/oauth-authorization-server", anonymous: true },
    { method: "GET", path: "/oauth/authorize", anonymous: true },
    { method: "POST", path: "/oauth/authorize", anonymous: true },
    { method: "POST", path: "/oauth/token", anonymous: true },
    { method: "POST", path: "/oauth/revoke" },
    { method: "POST", path: "/oauth/introspect" },
    { method: "GET", path: "/oauth/revocations", query: ["after", "limit"], anonymous: true },
    { method: "GET", path: "/.well-known/oauth-protected-resource/mcp", anonymous: true },
  ];
}

/** The path with each `{name}` replaced, by `values` first and the route's valid parameters otherwise. */
export function fill(route: FuzzRoute, values: Record<string, string> = {}): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? route.params?.[name] ?? "x");
}

export const paramNames = (route: FuzzRoute) => [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "");
