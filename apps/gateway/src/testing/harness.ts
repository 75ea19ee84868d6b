import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditEvent, BatchAuditSink, GatewayRevocation } from "@leash/core";
import {
  createGatewayTokenVerifier,
  type GatewayConfigInput,
  GatewayConfig as GatewayConfigSchema,
  type GatewayGrant,
  rotateSigningKeys,
  SigningKeyFile,
  signGatewayToken,
  type VaultKvReader,
} from "@leash/providers";
import { createLogger, gatewayMetrics } from "@leash/runtime";
import { AuditBatcher } from "../audit.js";
import { type Gateway, type GatewayOptions, startGateway } from "../gateway.js";
import type { LiveLeases } from "../ports.js";
import { cachedVerifier } from "../token-cache.js";
import { buildUpstreams } from "../upstreams.js";

const ISSUER = "http://leash.test";
export const SECRET = "sk-test-0123456789abcdef";

/** A clock the test moves. */
class TestClock {
  constructor(public at = Date.now()) {}
  now = () => this.at;
}

/** The live view as a map the test writes: `end` announces a revocation like the Redis feed does. */
class FakeLeases implements LiveLeases {
  ended = new Set<string>();
  stale = false;
  private listeners = new Set<(entry: GatewayRevocation) => void>();
  status(grant: { leaseId: string }) {
    if (this.ended.has(grant.leaseId)) return "ended" as const;
    return this.stale ? ("stale" as const) : ("live" as const);
  }
  onRevoked(listener: (entry: GatewayRevocation) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  end(leaseId: string, announce = true) {
    this.ended.add(leaseId);
    if (announce)
      for (const l of this.listeners) l({ kind: "lease", leaseId, expiresAt: Date.now() + 60_000 });
  }
}

class RecordingSink implements BatchAuditSink {
  events: AuditEvent[] = [];
  async append(event: AuditEvent) {
    this.events.push(event);
  }
  async appendMany(events: readonly AuditEvent[]) {
    this.events.push(...events);
  }
}

/** Reads every static secret as SECRET, counting reads. */
function fakeKv(secret = SECRET): VaultKvReader & { reads: number } {
  return {
    reads: 0,
    async start() {},
    async read() {
      this.reads++;
      return secret;
    },
    close() {},
  };
}

export interface Harness {
  gateway: Gateway;
  url: string;
  clock: TestClock;
  leases: FakeLeases;
  audit: AuditBatcher;
  sink: RecordingSink;
  metrics: ReturnType<typeof gatewayMetrics>;
  token(grant: Partial<GatewayGrant> & { upstream: string }): Promise<string>;
  close(): Promise<void>;
}

/** The gateway in this process with a real token verifier and the test's fakes for Redis and Vault. */
export async function startHarness(
  upstreams: GatewayConfigInput["upstreams"],
  options: Partial<GatewayOptions> & { kv?: VaultKvReader } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "leash-gw-"));
  const keyPath = join(dir, "keys.json");
  await rotateSigningKeys(keyPath);
  const keys = new SigningKeyFile(keyPath);
  const clock = new TestClock();
  const leases = new FakeLeases();
  const sink = new RecordingSink();
  const metrics = gatewayMetrics();
  const audit = new AuditBatcher(sink, { intervalMs: 10, metrics });
  const config = GatewayConfigSchema.parse({ upstreams });
  const gateway = await startGateway(
    {
      upstreams: buildUpstreams(config, {
        kv: options.kv ?? fakeKv(),
        providers: new Map(),
        clock,
        timeoutMs: 2_000,
      }),
      verifier: cachedVerifier(
        createGatewayTokenVerifier({ keys, issuer: ISSUER, publicUrl: "http://gw.test", clock }),
        {
          clock,
        },
      ),
      leases,
      audit,
      metrics,
      logger: createLogger("gateway-test", "silent"),
      clock,
    },
    { host: "127.0.0.1", port: 0, sweepMs: 50, ...options },
  );
  let n = 0;
  return {
    gateway,
    url: gateway.url,
    clock,
    leases,
    audit,
    sink,
    metrics,
    async token(grant) {
      n++;
      return signGatewayToken(keys, {
        issuer: ISSUER,
        publicUrl: "http://gw.test",
        leaseId: grant.leaseId ?? `lease-${n}`,
        taskId: grant.taskId ?? "task-1",
        agent: grant.agent ?? "spiffe://dev.local/agent/a",
        upstream: grant.upstream,
        intent: { action: grant.action ?? "read", resource: grant.resource ?? "docs/" },
        methods: grant.methods ?? ["GET", "HEAD"],
        issuedAt: grant.issuedAt ?? clock.now() - 1_000,
        expiresAt: grant.expiresAt ?? clock.now() + 300_000,
      });
    },
    async close() {
      await gateway.close(AbortSignal.timeout(2_000));
    },
  };
}
