import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Cluster, startCluster } from "./cluster.js";
import { type Credential, credentialsIssued, stillWorks } from "./credentials.js";
import { insideView } from "./diagnostics.js";
import { agentId, Driver, ORCHESTRATOR, SECURITY } from "./driver.js";
import type { FaultPhase, PhaseContext } from "./faults.js";
import { apiClient } from "./http.js";
import { IntrospectionWatch } from "./introspection-watch.js";
import { Journal } from "./journal.js";
import { Random } from "./random.js";
import { explain, formatAnswers, formatTable, worst } from "./report.js";
import {
  type Disruption,
  type Judged,
  judge,
  type LeaseRecord,
  type PhaseWindow,
  type Row,
  summarise,
} from "./verdict.js";

export interface ChaosOptions {
  agents: number;
  /** LEASH_FAILPOINTS of the API replica the API fault drives. */
  apiFailpoints: string;
  phases: FaultPhase[];
  /**
   * How long to wait, at most, for a phase's credentials to stop before the next phase starts. A short drain lets
   * revocations of one phase run into the next; their bounds then include the next phase's faults.
   */
  drainMs: number;
  /** How long to wait, at most, after the last phase for every credential to stop. */
  finalDrainMs: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  rows: Row[];
  judged: Judged[];
  table: string;
  seed: number;
  auditChainOk: boolean;
  statuses: Map<string, Map<number, number>>;
  /** Acknowledged orders the driver gave: task ends, returns, mass revocations. */
  orders: { taskEnds: number; returns: number; campaigns: number };
  processes: { apiCrashes: number; apiKills: number; workerCrashes: number; workerKills: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lease records as the security team reads them; null for a lease Leash does not know (a lost record). */
async function leaseRecords(
  cluster: Cluster,
  security: string,
  leaseIds: readonly string[],
): Promise<Map<string, LeaseRecord | null>> {
  const client = apiClient(cluster.api);
  const out = new Map<string, LeaseRecord | null>();
  const ids = [...new Set(leaseIds)];
  for (let i = 0; i < ids.length; i += 16) {
    await Promise.all(
      ids.slice(i, i + 16).map(async (id) => {
        for (let attempt = 0; attempt < 20; attempt++) {
          const r = await client.call("GET", `/v1/leases/${id}`, security);
          if (r.status === 200) return void out.set(id, r.body as unknown as LeaseRecord);
          if (r.status === 404) return void out.set(id, null);
          await sleep(250);
        }
        throw new Error(`could not read lease ${id}`);
      }),
    );
  }
  return out;
}

/** Whether every credential minted since `since` has stopped at its provider (task tokens: by their own exp). */
function allStopped(credentials: readonly Credential[], since: number): boolean {
  return credentials.filter((c) => c.mintedAt >= since).every((c) => c.stoppedAt !== null && !c.alive);
}

/**
 * Runs each fault phase in turn (load with the fault injected, then a drain: open tasks are completed and the
 * phase's credentials are given time to stop), then judges every credential the emulators ever issued from the
 * outside, and prints the table.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 2_147_483_647);
  const random = new Random(seed);
  log(`chaos: seed ${seed} (CHAOS_SEED=${seed} replays the same choices)`);
  const cluster = await startCluster({ faultyApiFailpoints: options.apiFailpoints });
  const journal = new Journal();
  const windows: PhaseWindow[] = [];
  const disruptions: Disruption[] = [];
  let current = "setup";
  const client = apiClient(cluster.api);
  const faultyClient = apiClient(cluster.faultyApi);
  try {
    const tokens = {
      orchestrator: await cluster.token(ORCHESTRATOR),
      security: await cluster.token(SECURITY),
      agents: await Promise.all(Array.from({ length: options.agents }, (_, n) => cluster.token(agentId(n)))),
    };
    const watch = new IntrospectionWatch(client, () => tokens.security);
    const driver = new Driver({
      client,
      journal,
      watch,
      random,
      tokens: {
        orchestrator: tokens.orchestrator,
        security: tokens.security,
        agent: (n) => tokens.agents[n] ?? "",
      },
    });
    // CHAOS_PHASES=worker-kill,redis-restart runs only those phases (to chase one fault).
    const only = process.env.CHAOS_PHASES?.split(",").map((p) => p.trim());
    for (const phase of options.phases.filter((p) => !only || only.includes(p.name))) {
      const from = Date.now();
      current = phase.name;
      log(`chaos: phase ${phase.name}: ${phase.fault}`);
      const ctx: PhaseContext = { cluster, random, disruptions, loadEndsAt: 0 };
      await phase.setup?.(ctx);
      ctx.loadEndsAt = Date.now() + phase.loadMs;
      const via = phase.api === "faulty" ? faultyClient : client;
      await Promise.all([driver.run(phase.name, options.agents, phase.loadMs, via), phase.inject?.(ctx)]);
      await Promise.all([cluster.apiProcess.ready(), cluster.workerProcess.ready()]);
      await driver.endOpenTasks(phase.name);
      const drainFrom = Date.now();
      const drainUntil = Date.now() + options.drainMs;
      while (Date.now() < drainUntil) {
        if (allStopped(credentialsIssued(cluster.vault, cluster.aws, journal, watch), from)) break;
        await sleep(250);
      }
      await phase.teardown?.(ctx);
      windows.push({ name: phase.name, fault: phase.fault, bound: phase.bound, from, to: Date.now() });
      const took = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      log(
        `chaos: phase ${phase.name} done in ${took(Date.now() - from)} (drain ${took(Date.now() - drainFrom)})`,
      );
    }
    current = "final drain";
    const finalUntil = Date.now() + options.finalDrainMs;
    while (Date.now() < finalUntil) {
      if (allStopped(credentialsIssued(cluster.vault, cluster.aws, journal, watch), 0)) break;
      await sleep(250);
    }
    current = "verdict";
    // Every lease ends within the drain; the last watches of task tokens finish on their own.
    await watch.settled();
    const credentials = credentialsIssued(cluster.vault, cluster.aws, journal, watch);
    const alive = await stillWorks(cluster.vault, cluster.aws, journal, watch);
    const records = await leaseRecords(cluster, tokens.security, [
      ...credentials.map((c) => c.leaseId),
      ...journal.delivered.keys(),
    ]);
    const judged = judge(credentials, records, journal, windows, disruptions, alive);
    const rows = summarise(judged, windows);
    const table = formatTable(rows);
    log(table);
    const closest = worst(judged, 8);
    const inside = await insideView(
      cluster,
      closest.map((j) => j.credential.leaseId),
    ).catch(() => new Map());
    for (const j of closest) log(`chaos: ${explain(j)}; Leash: ${inside.get(j.credential.leaseId) ?? "?"}`);
    for (const [phase, byStatus] of journal.statuses) log(`chaos: ${formatAnswers(phase, byStatus)}`);
    const verify = await client.call("GET", "/v1/audit/verify", tokens.security);
    const auditChainOk = verify.status === 200 && verify.body.ok === true;
    log(
      `chaos: audit chain ${auditChainOk ? "verifies" : `does not verify: ${JSON.stringify(verify.body)}`}`,
    );
    const kills = (outages: { cause: string }[]) => outages.filter((o) => o.cause === "kill").length;
    log(
      `chaos: API killed ${kills(cluster.faultyApiProcess.outages)} times, ${cluster.faultyApiProcess.crashes} by its failpoints; ` +
        `worker killed ${kills(cluster.workerProcess.outages)} times, ${cluster.workerProcess.crashes} by its failpoints; ` +
        `Redis restarted ${disruptions.filter((d) => d.what === "redis down").length} times`,
    );
    return {
      rows,
      judged,
      table,
      seed,
      auditChainOk,
      statuses: journal.statuses,
      orders: {
        taskEnds: journal.taskEnds.size,
        returns: journal.returns.size,
        campaigns: journal.campaigns.length,
      },
      processes: {
        apiCrashes: cluster.faultyApiProcess.crashes,
        apiKills: kills(cluster.faultyApiProcess.outages),
        workerCrashes: cluster.workerProcess.crashes,
        workerKills: kills(cluster.workerProcess.outages),
      },
    };
  } catch (error) {
    log(`chaos: failed during ${current}`);
    log(cluster.workerProcess.output().slice(-3000));
    log(cluster.apiProcess.output().slice(-3000));
    log(cluster.faultyApiProcess.output().slice(-3000));
    throw error;
  } finally {
    const dir = process.env.CHAOS_LOG_DIR;
    if (dir) {
      writeFileSync(join(dir, "api.log"), cluster.apiProcess.output());
      writeFileSync(join(dir, "api-failpoints.log"), cluster.faultyApiProcess.output());
      writeFileSync(join(dir, "worker.log"), cluster.workerProcess.output());
    }
    await cluster.stop();
  }
}
