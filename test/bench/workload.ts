import type { Provider } from "./agents.js";

/**
 * What the load generator sends, as plain data: it crosses into the generator's own process (load.ts). Every
 * request names a fresh resource, so no two are alike and none is answered from the idempotency cache.
 */
export interface Workload {
  path: string;
  provider: Provider;
  ttlSeconds: number;
  /** Workload tokens and tasks: a closed loop's client `c` is agent `c % agents.length`, as each agent were a client. */
  agents: readonly { token: string; taskId: string }[];
  /**
   * Ask `POST /oauth/token` (token exchange of the agent's workload JWT) for this resource instead of `POST /v1/leases`
   * (`path` is then `/oauth/token`); the same intent, a fresh resource each time, answered 200.
   */
  oauthResource?: string;
}

/** The status a workload's requests get when they succeed. */
export const expectedStatus = (workload: Workload | FixedRequest): number =>
  isFixed(workload) ? workload.status : workload.oauthResource ? 200 : 201;

/** One request sent over and over, the same from every client (the gateway section: an upstream's GET). */
export interface FixedRequest {
  method: "GET";
  path: string;
  headers: Record<string, string>;
  /** The status a request must get to count. */
  status: number;
}

export const isFixed = (w: Workload | FixedRequest): w is FixedRequest => "status" in w;

interface LeaseRequest {
  headers: Record<string, string>;
  body: string;
}

/** Request `n` of a workload, sent by `client`; `tag` keeps resources distinct across the runs of one bench. */
export function leaseRequest(workload: Workload, tag: string, client: number, n: number): LeaseRequest {
  const agent = workload.agents[client % workload.agents.length];
  if (!agent) throw new Error("the workload has no agents");
  const { provider } = workload;
  if (workload.oauthResource) {
    const form = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: agent.token,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      resource: workload.oauthResource,
      scope: `task:${agent.taskId} read:docs/${tag}-${n}`,
    });
    return { headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() };
  }
  const target =
    provider === "vault"
      ? { target: "kv-reader", intent: { action: "read", resource: `secret/${tag}-${n}` } }
      : provider === "aws-sts"
        ? { target: "docs-reader", intent: { action: "read", resource: `docs/${tag}-${n}` } }
        : { intent: { action: "read", resource: `docs/${tag}-${n}` } };
  return {
    headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
    body: JSON.stringify({ task_id: agent.taskId, provider, ttl_seconds: workload.ttlSeconds, ...target }),
  };
}
