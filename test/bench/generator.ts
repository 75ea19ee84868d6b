import autocannon from "autocannon";
import { Agent, request } from "undici";
import { summarize } from "./stats.js";
import { expectedStatus, type FixedRequest, isFixed, leaseRequest, type Workload } from "./workload.js";

/**
 * The bench's load generator, in its own process so that neither the bench's bookkeeping nor its Redis and stack
 * handles share a thread with it (load.ts starts it). It takes jobs over IPC and answers each with a summary and
 * the CPU it spent on it; it exits when the bench does, however the bench ends (the IPC channel closes).
 */
export interface LoadJob {
  /** Closed: `connections` clients back to back (autocannon). Open: `rate` requests/s on schedule. */
  kind: "closed" | "open";
  urls: readonly string[];
  connections: number;
  rate: number;
  seconds: number;
  /** Makes this job's resources differ from every other job's. */
  tag: string;
  workload: Workload | FixedRequest;
}

export interface LoadResult {
  /** Requests answered 201 (a fixed request: its status), and their rate over the job's duration. */
  issued: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** CPU seconds (user + system, all threads) this process used for the job. */
  cpuSeconds: number;
}

export type GeneratorMessage =
  | { ready: true }
  | { id: number; result: LoadResult }
  | { id: number; error: string };

interface Tally {
  latencies: number[];
  errors: number;
  firstError?: string;
}

function failure(tally: Tally, message: string): void {
  if (tally.errors++ === 0) tally.firstError = message;
}

/**
 * One autocannon instance per URL, the connections spread over them as a load balancer would. Each connection is
 * one agent sending its requests back to back, as the agent would (setupClient gives it its own request).
 */
function closedOn(url: string, connections: number, job: LoadJob, tally: Tally, counters: Counters) {
  const { workload, tag } = job;
  const expected = expectedStatus(workload);
  const lease = (w: Workload, client: number): autocannon.Request => ({
    method: "POST",
    path: w.path,
    setupRequest: (req) => ({ ...req, ...leaseRequest(w, tag, client, counters.request++) }),
    onResponse: (status, body) => {
      if (status !== expected) failure(tally, `unexpected ${status}: ${body.slice(0, 300)}`);
    },
  });
  // A fixed request is the same for every client, and its body is never read (only its status counts).
  const requests = isFixed(workload)
    ? { requests: [{ method: workload.method, path: workload.path, headers: workload.headers }] }
    : {
        // Replaced by each client's own as it is set up.
        requests: [{ method: "POST" as const, path: workload.path }],
        setupClient: (client: autocannon.Client) => client.setRequests([lease(workload, counters.client++)]),
      };
  return new Promise<number>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: job.seconds, ...requests }, (error, result) =>
      error ? reject(error) : resolve(result.duration),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status === expected) tally.latencies.push(ms);
      else if (isFixed(workload)) failure(tally, `unexpected ${status}`);
    });
    instance.on("reqError", (error: Error) => failure(tally, error.message));
  });
}

interface Counters {
  client: number;
  request: number;
}

async function closed(job: LoadJob, tally: Tally): Promise<number> {
  const counters: Counters = { client: 0, request: 0 };
  const durations = await Promise.all(
    job.urls.map((url, i) =>
      closedOn(url, Math.ceil((job.connections - i) / job.urls.length), job, tally, counters),
    ),
  );
  return Math.max(...durations);
}

/** Requests start on schedule whatever the latency: latency at a given load, not the most the server takes. */
async function open(job: LoadJob, tally: Tally): Promise<number> {
  const { workload } = job;
  if (isFixed(workload)) throw new Error("open loops send lease requests only");
  const dispatcher = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });
  const total = Math.floor(job.rate * job.seconds);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  const fire = async (n: number) => {
    const shot = leaseRequest(workload, job.tag, n, n);
    const sent = performance.now();
    const res = await request(`${job.urls[n % job.urls.length]}${workload.path}`, {
      method: "POST",
      dispatcher,
      ...shot,
    });
    const text = await res.body.text();
    if (res.statusCode === expectedStatus(workload)) tally.latencies.push(performance.now() - sent);
    else failure(tally, `unexpected ${res.statusCode}: ${text.slice(0, 300)}`);
  };
  for (let n = 0; n < total; n++) {
    const wait = started + (n * 1000) / job.rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(fire(n).catch((error: Error) => failure(tally, error.message)));
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  return seconds;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const cpu = process.cpuUsage();
  const tally: Tally = { latencies: [], errors: 0 };
  const seconds = job.kind === "closed" ? await closed(job, tally) : await open(job, tally);
  const used = process.cpuUsage(cpu);
  const s = summarize(tally.latencies);
  return {
    issued: s.n,
    perSecond: s.n / seconds,
    p50: s.p50,
    p99: s.p99,
    errors: tally.errors,
    ...(tally.firstError ? { firstError: tally.firstError } : {}),
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

const send = (message: GeneratorMessage) => process.send?.(message);
// Started without a channel (by hand), there is no bench to serve.
if (!process.send) process.exit(2);
process.on("disconnect", () => process.exit(0));
process.on("message", (message: { id: number; job: LoadJob }) => {
  run(message.job).then(
    (result) => send({ id: message.id, result }),
    (error: Error) => send({ id: message.id, error: error.message }),
  );
});
send({ ready: true });
