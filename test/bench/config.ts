/** Bench sizes from the environment; `pnpm bench` runs the full set, `pnpm bench:quick` a small one. */
const ALL_SECTIONS = [
  "overhead",
  "providers",
  "revocation",
  "scale",
  "mass",
  "policy",
  "scaleout",
  "soak",
  "quotas",
  "reevaluate",
  "kit",
  "gateway",
  "token",
  "ops",
  "capacity",
  "shards",
] as const;
export type Section = (typeof ALL_SECTIONS)[number];

export const CONFIG = {
  /** BENCH_SECTIONS=overhead,mass runs only those parts of the report. */
  sections: new Set<string>((process.env.BENCH_SECTIONS ?? ALL_SECTIONS.join(",")).split(",")),
  runs: Number(process.env.BENCH_RUNS ?? 3),
  seconds: Number(process.env.BENCH_SECONDS ?? 4),
  concurrency: (process.env.BENCH_CONCURRENCY ?? "32,256").split(",").map(Number),
  mass: Number(process.env.BENCH_MASS ?? 100_000),
  scaleLevels: (process.env.BENCH_SCALE ?? "1000,10000,100000").split(",").map(Number),
  /** The soak: leases per second, how long, the retention it runs with, and how often it samples memory. */
  soak: {
    rate: Number(process.env.BENCH_SOAK_RATE ?? 20),
    seconds: Number(process.env.BENCH_SOAK_SECONDS ?? 300),
    retentionSeconds: Number(process.env.BENCH_SOAK_RETENTION ?? 60),
    sampleSeconds: Number(process.env.BENCH_SOAK_SAMPLE ?? 30),
  },
  scaleOut: (process.env.BENCH_SCALE_OUT ?? "1x1,2x2").split(",").map((s) => {
    const [apis, workers] = s.split("x").map(Number);
    return { apis: apis ?? 1, workers: workers ?? 1 };
  }),
};

export const wants = (section: Section) => CONFIG.sections.has(section);
