import { Agent, request } from "undici";

export interface Shot {
  path: string;
  token: string;
  body: unknown;
}

const dispatcher = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });

async function fire(base: string, shot: Shot): Promise<number> {
  const started = performance.now();
  const res = await request(`${base}${shot.path}`, {
    method: "POST",
    dispatcher,
    headers: { authorization: `Bearer ${shot.token}`, "content-type": "application/json" },
    body: JSON.stringify(shot.body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`unexpected ${res.statusCode}: ${text.slice(0, 300)}`);
  return performance.now() - started;
}

/** Spreads clients over several API processes, as a load balancer would. */
function pick(base: string | readonly string[], client: number): string {
  return typeof base === "string" ? base : (base[client % base.length] ?? "");
}

/** Closed loop: `concurrency` clients back to back for `durationMs`; returns latencies and the rate achieved. */
export async function closedLoop(
  base: string | readonly string[],
  concurrency: number,
  durationMs: number,
  next: (client: number) => Shot,
) {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const until = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      while (performance.now() < until) {
        try {
          latencies.push(await fire(pick(base, client), next(client)));
        } catch (error) {
          if (errors++ === 0) firstError = (error as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { latencies, errors, firstError, perSecond: latencies.length / seconds };
}

/** Open loop at a fixed rate (requests start on schedule whatever the latency), for latency at a given load. */
export async function openLoop(
  base: string | readonly string[],
  ratePerSecond: number,
  durationMs: number,
  next: (i: number) => Shot,
) {
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.floor((ratePerSecond * durationMs) / 1000);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      fire(pick(base, i), next(i)).then(
        (ms) => void latencies.push(ms),
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  return { latencies, errors };
}
