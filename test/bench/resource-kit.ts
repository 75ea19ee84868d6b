import { createResourceServer, createRevocationFeed } from "@leash/resource-kit";
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { median, summarize } from "./stats.js";

/**
 * What the resource kit costs a resource server per request: `authenticate` on a request carrying a Leash access
 * token (signature, claims, audience, revocation view), and the same with a DPoP-bound token and its proof
 * (proof signature, htm/htu/ath, key thumbprint, replay cache). In this process, one request at a time, with the
 * revocation feed polled in the background (an in-process fake answering 1,000 ended tokens), so nothing but the
 * kit is measured. Proofs are signed before the clock starts: a client signs them, not the server.
 */
const ISSUER = "https://leash.bench";
const RESOURCE = "https://tools.bench/mcp";
const WARMUP = 2_000;

interface KitSide {
  p50: number;
  p99: number;
  mean: number;
  perSecond: number;
}
export interface KitFigure {
  requests: number;
  runs: number;
  /** The same token again and again: its verified grant comes from the kit's cache (the default, 30 s). */
  bearer: KitSide;
  /** `tokenCacheMs: 0`: the signature checked on every request, as for a client's first request. */
  uncached: KitSide;
  dpop: KitSide;
}

async function sha256(value: string): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value))).toString(
    "base64url",
  );
}

async function fixtures(requests: number) {
  const signing = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(signing.publicKey)), kid: "bench", alg: "ES256" };
  const holder = await generateKeyPair("ES256", { extractable: true });
  const holderJwk = await exportJWK(holder.publicKey);
  const now = Math.floor(Date.now() / 1000);
  const token = (extra: Record<string, unknown>) =>
    new SignJWT({
      client_id: "spiffe://bench/agent/a",
      task_id: "task-1",
      authorization_details: [{ type: "leash_intent", task_id: "task-1", action: "read", resource: "docs/" }],
      ...extra,
    })
      .setProtectedHeader({ alg: "ES256", kid: "bench", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setSubject("spiffe://bench/agent/a")
      .setAudience(RESOURCE)
      .setJti(`lease-${crypto.randomUUID()}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 3_600)
      .sign(signing.privateKey);
  const bearer = await token({});
  const bound = await token({ cnf: { jkt: await calculateJwkThumbprint(holderJwk, "sha256") } });
  const ath = await sha256(bound);
  const proofs: string[] = [];
  for (let i = 0; i < requests + WARMUP; i += 1)
    proofs.push(
      await new SignJWT({ jti: crypto.randomUUID(), htm: "POST", htu: RESOURCE, iat: now, ath })
        .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: holderJwk })
        .sign(holder.privateKey),
    );
  return { keys: createLocalJWKSet({ keys: [jwk] }), bearer, bound, proofs };
}

/** A revocation feed answering 1,000 ended tokens once, then nothing new, as a quiet deployment's would. */
function quietFeed() {
  let first = true;
  const fetchFn = (async () => {
    const revoked = first
      ? Array.from({ length: 1_000 }, (_, i) => ({ jti: `ended-${i}`, exp: Date.now() / 1000 + 3_600 }))
      : [];
    first = false;
    return Response.json({ revoked, cursor: "c", has_more: false });
  }) as unknown as typeof fetch;
  return createRevocationFeed({ endpoint: `${ISSUER}/oauth/revocations`, clock: Date, fetch: fetchFn });
}

async function measure(
  authenticate: (i: number) => Promise<{ ok: boolean }>,
  requests: number,
): Promise<number[]> {
  for (let i = 0; i < WARMUP; i += 1) if (!(await authenticate(i)).ok) throw new Error("refused in warm-up");
  const samples: number[] = [];
  for (let i = WARMUP; i < WARMUP + requests; i += 1) {
    const start = performance.now();
    const outcome = await authenticate(i);
    samples.push((performance.now() - start) * 1000);
    if (!outcome.ok) throw new Error("refused");
  }
  return samples;
}

function side(samples: number[][]): KitSide {
  const per = samples.map((s) => {
    const sum = summarize(s);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    return { p50: sum.p50, p99: sum.p99, mean };
  });
  const mean = median(per.map((p) => p.mean));
  return {
    p50: median(per.map((p) => p.p50)),
    p99: median(per.map((p) => p.p99)),
    mean,
    perSecond: 1e6 / mean,
  };
}

export async function kitVerificationCost(requests = 20_000, runs = 3): Promise<KitFigure> {
  const bearerRuns: number[][] = [];
  const uncachedRuns: number[][] = [];
  const dpopRuns: number[][] = [];
  for (let run = 0; run < runs; run += 1) {
    const f = await fixtures(requests);
    const revocation = quietFeed();
    await revocation.start(AbortSignal.timeout(5_000));
    const rs = createResourceServer({ resource: RESOURCE, issuer: ISSUER, keys: f.keys, revocation });
    const uncached = createResourceServer({
      resource: RESOURCE,
      issuer: ISSUER,
      keys: f.keys,
      revocation,
      tokenCacheMs: 0,
    });
    try {
      const bearerRequest = new Request(RESOURCE, {
        method: "POST",
        headers: { authorization: `Bearer ${f.bearer}` },
      });
      const dpopRequests = f.proofs.map(
        (proof) =>
          new Request(RESOURCE, {
            method: "POST",
            headers: { authorization: `DPoP ${f.bound}`, dpop: proof },
          }),
      );
      // Alternate which side goes first, so warming and drift fall on both alike.
      const sides = [
        async () => bearerRuns.push(await measure(() => rs.authenticate(bearerRequest), requests)),
        async () => uncachedRuns.push(await measure(() => uncached.authenticate(bearerRequest), requests)),
        async () =>
          dpopRuns.push(await measure((i) => rs.authenticate(dpopRequests[i] as Request), requests)),
      ];
      for (const measureSide of run % 2 === 0 ? sides : sides.reverse()) await measureSide();
    } finally {
      revocation.close();
    }
  }
  return { requests, runs, bearer: side(bearerRuns), uncached: side(uncachedRuns), dpop: side(dpopRuns) };
}

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const f = (n: number, digits = 1) => n.toFixed(digits);

export function kitReport(k: KitFigure): string {
  const line = (name: string, s: KitSide) => row([name, f(s.p50), f(s.p99), f(s.mean), f(s.perSecond, 0)]);
  return [
    "",
    `### Resource kit: verification per request (in-process, one request at a time; median of ${k.runs} runs of ${k.requests})`,
    "",
    row(["token", "p50 (µs)", "p99 (µs)", "mean (µs)", "requests/s on one core"]),
    row(["---", "---", "---", "---", "---"]),
    line("Bearer, token verified earlier (cached grant: exp, revocation view)", k.bearer),
    line("Bearer, signature checked (ES256, claims, audience, revocation view)", k.uncached),
    line("DPoP-bound (cached grant, and the proof: ES256, htm/htu/ath, thumbprint, replay)", k.dpop),
    "",
  ].join("\n");
}
