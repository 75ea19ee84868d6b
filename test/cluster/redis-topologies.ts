import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, type RedisServer, startRedisServer, waitFor } from "@leash/devstack";
import type { HostPort, RedisTarget } from "@leash/store";
import { HOST, info, redisCli } from "./redis-cli.js";

const run = promisify(execFile);

export interface LocalClusterOptions {
  masters?: number;
  /** Replicas per primary. With replicas, the nodes are tuned to fail over in a second or two (see below). */
  replicasPerMaster?: number;
}

export interface LocalCluster {
  /** Every node; at start the first `masters` are the primaries (`--cluster create` picks them in order). */
  nodes: HostPort[];
  target: RedisTarget;
  /** Each node's server by data port, so a test can kill one as a crash would (`stop()` still cleans it up). */
  servers: Map<number, RedisServer>;
  stop(): Promise<void>;
}

/**
 * For a failover test: a primary is judged down after 1 s of silence; a replica may take over however long ago it
 * last heard from its primary (validity factor 0: under a load test the link may have lagged just before the crash);
 * the other primaries' slots keep serving while one primary is down (with full coverage required, `cluster_state`
 * turns `fail` and every slot answers CLUSTERDOWN until the promotion, which ioredis retries: every tag's writes
 * wait); replicas sync at once, without the 5 s grouping delay of diskless replication.
 */
const FAILOVER_ARGS = [
  "--cluster-node-timeout",
  "1000",
  "--cluster-replica-validity-factor",
  "0",
  "--cluster-require-full-coverage",
  "no",
  "--repl-diskless-sync",
  "yes",
  "--repl-diskless-sync-delay",
  "0",
];

/** Each node gets its own cluster bus port, so a data port above 55535 cannot push the bus past 65535. */
async function startClusterNode(withReplicas: boolean): Promise<RedisServer> {
  return startRedisServer({
    extraArgs: [
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      "nodes.conf",
      ...(withReplicas ? FAILOVER_ARGS : ["--cluster-node-timeout", "2000"]),
      "--cluster-port",
      String(await freePort()),
    ],
  });
}

/** Whether the node on `port` serves: cluster state ok, every node known, and its replication link settled. */
async function nodeReady(port: number, total: number, replicasPerMaster: number): Promise<boolean> {
  const cluster = await info(port, "cluster", "info");
  if (cluster.cluster_state !== "ok" || Number(cluster.cluster_known_nodes) !== total) return false;
  const replication = await info(port, "info", "replication");
  if (replication.role === "slave")
    return replication.master_link_status === "up" && replication.master_sync_in_progress === "0";
  const online = Object.entries(replication).filter(
    ([k, v]) => /^slave\d+$/.test(k) && v.includes("state=online"),
  );
  return online.length >= replicasPerMaster;
}

async function waitForClusterReady(ports: number[], replicasPerMaster: number): Promise<void> {
  for (const port of ports)
    await waitFor(async () => ((await nodeReady(port, ports.length, replicasPerMaster)) ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `the cluster node on port ${port} to be ok, know every node and be in sync`,
    });
}

/**
 * A Redis Cluster of `masters` primaries, each with `replicasPerMaster` replicas, on loopback ports, slots spread
 * evenly by `redis-cli --cluster create`. A number is the primary count, without replicas (the e2e suite's layout).
 * Resolves once every node reports `cluster_state:ok` and every replica is in sync.
 */
export async function startLocalCluster(options: number | LocalClusterOptions = 3): Promise<LocalCluster> {
  const { masters = 3, replicasPerMaster = 0 } = typeof options === "number" ? { masters: options } : options;
  const servers: RedisServer[] = [];
  const stop = async () => {
    // A server a test killed has no process left; stop() then only removes its data directory.
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicasPerMaster); i++)
      servers.push(await startClusterNode(replicasPerMaster > 0));
    const nodes = servers.map((s) => ({ host: HOST, port: s.port }));
    // All nodes share one host, so redis-cli warns that replicas sit beside their primaries; --cluster-yes accepts.
    await run("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((n) => `${n.host}:${n.port}`),
      "--cluster-replicas",
      String(replicasPerMaster),
      "--cluster-yes",
    ]);
    await waitForClusterReady(
      nodes.map((n) => n.port),
      replicasPerMaster,
    );
    return {
      nodes,
      target: { kind: "cluster", nodes },
      servers: new Map(servers.map((s) => [s.port, s])),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const SENTINEL_NAME = "mymaster";

export interface LocalSentinel {
  target: RedisTarget;
  /** The data nodes by port (the first one starts as the primary). */
  servers: Map<number, RedisServer>;
  sentinelPorts: number[];
  primaryPort(): Promise<number>;
  /**
   * Asks a sentinel for a failover and waits until the sentinels name another primary. `pauseWritesMs` first
   * holds client writes on the primary that long (CLIENT PAUSE WRITE), as a planned failover should.
   */
  failover(pauseWritesMs?: number): Promise<{ from: number; to: number }>;
  /** Waits until the sentinels name a primary other than `from` (after a crash, say). */
  waitForNewPrimary(from: number, timeoutMs?: number): Promise<number>;
  /** Waits until the primary has `count` replicas with a live link. */
  waitForReplicas(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A primary with `replicas` replicas under three sentinels (quorum 2) that declare a primary down after 1 s of
 * silence, as a small production setup would, only faster.
 */
export async function startLocalSentinel(replicas = 1): Promise<LocalSentinel> {
  const started: RedisServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), "leash-sentinel-"));
  try {
    // Replicas resynchronise at once after a failover (diskless, without the default 5 s grouping delay).
    const dataNode = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"];
    const primary = await startRedisServer({ extraArgs: dataNode });
    started.push(primary);
    const servers = new Map<number, RedisServer>([[primary.port, primary]]);
    for (let i = 0; i < replicas; i++) {
      const replica = await startRedisServer({
        extraArgs: [...dataNode, "--replicaof", HOST, String(primary.port)],
      });
      started.push(replica);
      servers.set(replica.port, replica);
    }
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const configFile = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${SENTINEL_NAME} ${HOST} ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          "",
        ].join("\n"),
      );
      const sentinel = await startRedisServer({ configFile, extraArgs: ["--sentinel"] });
      started.push(sentinel);
      sentinelPorts.push(sentinel.port);
    }
    const sentinelCli = (...args: string[]) => redisCli(sentinelPorts[0] ?? 0, "sentinel", ...args);
    const primaryPort = async () =>
      Number((await sentinelCli("get-master-addr-by-name", SENTINEL_NAME)).split("\n")[1]);
    const waitForReplicas = async (count: number, timeoutMs = 20_000) => {
      await waitFor(
        async () => {
          const i = await info(await primaryPort(), "info", "replication");
          const up = Object.entries(i).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes("state=online"));
          return i.role === "master" && up.length >= count ? true : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `${count} online replicas` },
      );
    };
    const waitForNewPrimary = async (from: number, timeoutMs = 20_000) =>
      waitFor(
        async () => {
          const ports = await Promise.all(
            sentinelPorts.map(async (p) =>
              Number(
                (await redisCli(p, "sentinel", "get-master-addr-by-name", SENTINEL_NAME)).split("\n")[1],
              ),
            ),
          );
          const to = ports[0];
          if (to === undefined || to === from || ports.some((p) => p !== to)) return undefined;
          return (await info(to, "info", "replication")).role === "master" ? to : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `the sentinels to promote a primary other than ${from}` },
      );
    await waitForReplicas(replicas);
    // A failover needs the sentinels to know each other (quorum) and the replicas: they learn both by gossip.
    for (const port of sentinelPorts)
      await waitFor(
        async () => {
          const text = await redisCli(port, "sentinel", "master", SENTINEL_NAME);
          const lines = text.split("\n");
          const field = (name: string) => Number(lines[lines.indexOf(name) + 1]);
          return field("num-other-sentinels") >= 2 && field("num-slaves") >= replicas ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: `sentinel on ${port} to see its peers and the replicas` },
      );
    return {
      target: {
        kind: "sentinel",
        name: SENTINEL_NAME,
        sentinels: sentinelPorts.map((port) => ({ host: HOST, port })),
      },
      servers,
      sentinelPorts,
      primaryPort,
      async failover(pauseWritesMs) {
        const from = await primaryPort();
        // A sentinel refuses a new failover of the same primary for a while after the last one (-INPROG).
        await waitFor(
          async () => {
            if (pauseWritesMs) await redisCli(from, "client", "pause", String(pauseWritesMs), "write");
            if ((await sentinelCli("failover", SENTINEL_NAME)) === "OK") return true;
            if (pauseWritesMs) await redisCli(from, "client", "unpause");
            return undefined;
          },
          { timeoutMs: 30_000, intervalMs: 250, what: "a sentinel to accept the failover" },
        );
        return { from, to: await waitForNewPrimary(from) };
      },
      waitForNewPrimary,
      waitForReplicas,
      async stop() {
        await Promise.all(started.map((s) => s.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
