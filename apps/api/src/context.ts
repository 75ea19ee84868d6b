import type { OpenAPIHono } from "@hono/zod-openapi";
import type {
  BrokerDeps,
  CampaignDeps,
  Clock,
  IdentityVerifier,
  PolicySetSnapshot,
  Role,
  SuspensionCheck,
} from "@leash/core";
import type { SigningKeyFile } from "@leash/providers";
import type { Producers } from "@leash/queue";
import type { ApiMetrics, Logger } from "@leash/runtime";
import type { CheckpointSigner, QueueConnection, Store } from "@leash/store";
import type { ApiEnv } from "./env.js";

/** Everything a route may use, built once at boot (see main.ts). */
export interface ApiContext {
  broker: BrokerDeps;
  /** Mass revocation (POST /v1/revocations and the console's agent revocation). */
  campaigns: CampaignDeps;
  store: Store;
  /**
   * Every shard's connection for BullMQ, shard 0 first (one entry with one shard): each shard keeps its queues
   * under its own prefix, and the queue dashboard shows them all. Read from the shard map at start, which is enough:
   * shards added later make the process exit to be started again (`followShards`).
   */
  queueShards: readonly QueueConnection[];
  /**
   * The suspensions as the door reads them (every authenticated request): the process's in-memory view, which reads
   * Redis whenever it cannot prove itself current. Issuance never depends on it alone (see the README's
   * "Suspending an identity").
   */
  door: { suspensions: SuspensionCheck; clock: Clock };
  producers: Producers;
  verifier: IdentityVerifier;
  audit: Store["audit"];
  signingKeys: SigningKeyFile;
  publicUrl: string;
  /** The roles the trust file gives a subject: for callers known by an access token rather than a workload JWT. */
  rolesOf(subject: string): ReadonlySet<Role>;
  /** Origins besides LEASH_PUBLIC_URL's whose browsers may call /mcp (LEASH_MCP_ALLOWED_ORIGINS). */
  mcpAllowedOrigins: readonly string[];
  logger: Logger;
  bodyLimitBytes: number;
  rateLimit: { perSecond: number; burst: number };
  metrics: ApiMetrics;
  /** Verifies the signed checkpoint left where the audit trail was trimmed. */
  checkpoints: CheckpointSigner;
  /** Reload counters of the policy engine, when one is configured. */
  policyStats(): { reloads: number; reloadErrors: number } | undefined;
  /** The policy set in use, as text under its id; undefined without policies. */
  policySnapshot(): PolicySetSnapshot | undefined;
  /** Redis reachable, at least one worker alive and, when the trust file configures one, the gateway listening. */
  readiness(): Promise<{ redis: boolean; worker: boolean; gateway?: boolean }>;
}

type App = OpenAPIHono<ApiEnv>;
export type RouteRegistrar = (app: App, ctx: ApiContext) => void;
