import { expect } from "vitest";
import { agentId, ORCHESTRATOR, type Stack } from "./stack.js";

/** What `POST /v1/leases` answers, as far as the e2e tests read it. */
export interface IssuedLease {
  lease_id: string;
  expires_at: string;
  credential: { token: string };
}

/**
 * `POST /v1/tasks` as the orchestrator: a task for the named agent reading `docs/*` for ten minutes, unless `body`
 * says otherwise. Fails the test on anything but 201.
 */
export async function createTask(
  stack: Stack,
  agent: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await stack.call("POST", "/v1/tasks", await stack.token(ORCHESTRATOR), {
    agent: agentId(agent),
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
    ...body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/**
 * `POST /v1/leases` as the named agent: a `leash-jwt` credential to read `docs/a.md`, unless `extra` says otherwise.
 * Fails the test on anything but 201.
 */
export async function issueLease(
  stack: Stack,
  agent: string,
  taskId: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<IssuedLease> {
  const res = await stack.call(
    "POST",
    "/v1/leases",
    await stack.token(agentId(agent)),
    { task_id: taskId, provider: "leash-jwt", intent: { action: "read", resource: "docs/a.md" }, ...extra },
    headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as IssuedLease;
}

/**
 * `GET /v1/audit` with `token`, every page, oldest first; `query` (e.g. `type=lease.revoked`) narrows it. Fails the
 * test on anything but 200.
 */
export async function auditLog<T>(stack: Stack, token: string, query = ""): Promise<T[]> {
  const out: T[] = [];
  let since: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", "1000");
    if (since) params.set("since", since);
    const res = await stack.call("GET", `/v1/audit?${params}`, token);
    expect(res.status, await res.clone().text()).toBe(200);
    const page = (await res.json()) as { items: T[]; next_cursor: string | null };
    out.push(...page.items);
    since = page.next_cursor;
  } while (since);
  return out;
}

/** The body of a 2xx response as `T`; anything else throws with its status and body. */
export async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status}: ${text}`);
  return JSON.parse(text) as T;
}
