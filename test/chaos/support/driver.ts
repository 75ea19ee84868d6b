import { randomUUID } from "node:crypto";
import type { ApiClient, Reply } from "./http.js";
import type { IntrospectionWatch } from "./introspection-watch.js";
import type { Journal, ProviderName } from "./journal.js";
import type { Random } from "./random.js";

export const ORCHESTRATOR = "spiffe://dev.local/orchestrator";
export const SECURITY = "spiffe://dev.local/security/chaos";
export const agentId = (n: number) => `spiffe://dev.local/agent/chaos-${n}`;

interface Kind {
  provider: ProviderName;
  target?: string;
  intent: Record<string, string>;
}

/** One of each credential Leash can issue: a task token, STS keys, a Vault token, a Vault dynamic secret. */
const KINDS: readonly Kind[] = [
  {
    provider: "leash-jwt",
    intent: { action: "read", resource: "docs/readme.md", tool: "docs-api", sensitivity: "internal" },
  },
  { provider: "aws-sts", target: "docs-reader", intent: { action: "read", resource: "docs/readme.md" } },
  { provider: "vault", target: "kv-reader", intent: { action: "read", resource: "secret/app" } },
  { provider: "vault", target: "db-readonly", intent: { action: "read", resource: "db/orders" } },
];

const CEILING = [
  { action: "read", resource: "docs/*" },
  { action: "read", resource: "secret/*" },
  { action: "read", resource: "db/*" },
];

/** Lease TTLs short enough that many run out inside a phase. */
const TTLS = [2, 3, 4, 6];

export interface DriverDeps {
  client: ApiClient;
  journal: Journal;
  watch: IntrospectionWatch;
  random: Random;
  tokens: { orchestrator: string; security: string; agent(n: number): string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const acked = (r: Reply, ...ok: number[]) => ok.includes(r.status);

/**
 * Agents working concurrently: each registers a task, asks for a few credentials of random kinds and TTLs (with an
 * Idempotency-Key, retried when the API is unreachable), sometimes returns one, then ends the task with duplicated
 * and reordered signals, or walks away and lets the TTLs and the task deadline run out. Another loop orders mass
 * revocations of random agents. Every acknowledged order is journaled with the time it was sent.
 */
export class Driver {
  private stopAt = 0;
  private readonly open = new Set<string>();
  private client: ApiClient;

  constructor(private readonly deps: DriverDeps) {
    this.client = deps.client;
  }

  /** Runs the agents for a while against `client` (an API replica), or the default one. */
  async run(
    phase: string,
    agents: number,
    durationMs: number,
    client?: ApiClient,
    firstAgent = 0,
  ): Promise<void> {
    this.client = client ?? this.deps.client;
    this.stopAt = Date.now() + durationMs;
    const loops = Array.from({ length: agents }, (_, i) => this.agentLoop(phase, firstAgent + i));
    loops.push(this.campaignLoop(phase, firstAgent, agents));
    await Promise.all(loops);
  }

  /** Ends every task the driver left open (the drain of a phase), as an orchestrator finishing its work would. */
  async endOpenTasks(phase: string): Promise<void> {
    this.client = this.deps.client;
    await Promise.all([...this.open].map((taskId) => this.endTask(phase, taskId, "complete", 1)));
  }

  private get running(): boolean {
    return Date.now() < this.stopAt;
  }

  private async call(
    phase: string,
    method: string,
    path: string,
    token: string,
    body?: unknown,
    h?: Record<string, string>,
  ) {
    const reply = await this.client.call(method, path, token, body, h);
    this.deps.journal.recordStatus(phase, reply.status);
    return reply;
  }

  private async agentLoop(phase: string, n: number): Promise<void> {
    const { random } = this.deps;
    while (this.running) {
      const taskId = await this.createTask(phase, n);
      if (!taskId) {
        await sleep(100);
        continue;
      }
      const count = random.int(2, 4);
      const issuing = Array.from({ length: count }, () => this.issue(phase, n, taskId));
      const roll = random.next();
      if (roll < 0.1) {
        // Reordered: the task ends while credentials are still being issued for it.
        await sleep(random.int(0, 50));
        await this.endWithSignals(phase, taskId);
        await Promise.all(issuing);
        continue;
      }
      const leases = (await Promise.all(issuing)).filter((l): l is string => l !== undefined);
      if (leases.length > 0 && random.next() < 0.25) {
        const leaseId = random.pick(leases);
        await sleep(random.int(0, 800));
        const r = await this.call(phase, "DELETE", `/v1/leases/${leaseId}`, this.deps.tokens.agent(n));
        if (acked(r, 202)) {
          this.deps.journal.returned(leaseId, r.sentAt);
          this.watchIfToken(leaseId, r.sentAt);
        }
      }
      await sleep(random.int(0, 1_500));
      if (roll < 0.8) await this.endWithSignals(phase, taskId);
      // Otherwise the agent walks away: TTLs and the task deadline end everything.
    }
  }

  private async createTask(phase: string, n: number): Promise<string | undefined> {
    const id = `chaos-${randomUUID()}`;
    const body = { id, agent: agentId(n), ceiling: CEILING, ttl_seconds: this.deps.random.int(8, 15) };
    // Same id and body again is idempotent, so a call lost to a crash is simply repeated.
    for (let attempt = 0; attempt < 5 && this.running; attempt++) {
      const r = await this.call(phase, "POST", "/v1/tasks", this.deps.tokens.orchestrator, body);
      if (acked(r, 200, 201)) {
        this.deps.journal.tasks.set(id, agentId(n));
        this.open.add(id);
        return id;
      }
      await sleep(100);
    }
    return undefined;
  }

  private async issue(phase: string, n: number, taskId: string): Promise<string | undefined> {
    const { random, journal } = this.deps;
    const kind = random.pick(KINDS);
    const body = {
      task_id: taskId,
      provider: kind.provider,
      ...(kind.target ? { target: kind.target } : {}),
      intent: kind.intent,
      ttl_seconds: random.pick(TTLS),
    };
    const key = randomUUID();
    const requestedAt = Date.now();
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.call(phase, "POST", "/v1/leases", this.deps.tokens.agent(n), body, {
        "idempotency-key": key,
      });
      if (r.status === 200 || r.status === 201) {
        const leaseId = String(r.body.lease_id);
        journal.delivered.set(leaseId, {
          leaseId,
          taskId,
          agent: agentId(n),
          provider: kind.provider,
          target: kind.target ?? null,
          requestedAt,
          deliveredAt: r.receivedAt,
          expiresAt: Date.parse(String(r.body.expires_at)),
          credential: r.body.credential as Record<string, unknown>,
        });
        if (kind.provider === "leash-jwt")
          this.watchIfToken(leaseId, Date.parse(String(r.body.expires_at)) - 200);
        return leaseId;
      }
      // Unreachable (killed, restarting) or a store outage: the same key again, as an SDK would retry.
      if (r.status !== 0 && r.status !== 503) return undefined;
      await sleep(200 + attempt * 300);
    }
    return undefined;
  }

  /** Duplicated, concurrent and contradicting end signals for one task: only the first may take effect. */
  private async endWithSignals(phase: string, taskId: string): Promise<void> {
    const { random } = this.deps;
    const roll = random.next();
    if (roll < 0.4) {
      await Promise.all([this.endTask(phase, taskId, "complete"), this.endTask(phase, taskId, "complete")]);
    } else if (roll < 0.7) {
      await Promise.all([this.endTask(phase, taskId, "cancel"), this.endTask(phase, taskId, "complete")]);
    } else {
      await this.endTask(phase, taskId, "complete");
      await sleep(random.int(0, 300));
      await this.endTask(phase, taskId, "complete");
    }
  }

  private async endTask(
    phase: string,
    taskId: string,
    how: "complete" | "cancel",
    attempts = 5,
  ): Promise<void> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const r = await this.call(phase, "POST", `/v1/tasks/${taskId}/${how}`, this.deps.tokens.orchestrator);
      // 202 whether this call ended the task or an earlier one did (idempotent); 409 for a cancel after a complete.
      if (acked(r, 202)) {
        this.deps.journal.taskEnded(taskId, r.sentAt);
        this.open.delete(taskId);
        for (const d of this.deps.journal.delivered.values()) {
          if (d.taskId === taskId) this.watchIfToken(d.leaseId, r.sentAt);
        }
        return;
      }
      if (r.status !== 0 && r.status !== 503) return;
      await sleep(200);
    }
  }

  private async campaignLoop(phase: string, firstAgent: number, agents: number): Promise<void> {
    const { random, journal } = this.deps;
    while (this.running) {
      await sleep(random.int(1_500, 3_500));
      if (!this.running) return;
      const n = firstAgent + random.int(0, agents - 1);
      const r = await this.call(phase, "POST", "/v1/revocations", this.deps.tokens.security, {
        selector: { agent: agentId(n) },
        reason: "chaos drill",
      });
      if (!acked(r, 202)) continue;
      journal.campaigns.push({ agent: agentId(n), sentAt: r.sentAt });
      for (const d of journal.delivered.values()) {
        if (d.agent === agentId(n) && d.deliveredAt < r.sentAt) this.watchIfToken(d.leaseId, r.sentAt);
      }
    }
  }

  private watchIfToken(leaseId: string, from: number): void {
    const d = this.deps.journal.delivered.get(leaseId);
    if (d?.provider !== "leash-jwt") return;
    this.deps.watch.watch(leaseId, String(d.credential.token), from);
  }
}
