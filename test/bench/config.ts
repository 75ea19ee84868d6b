/** Bench sizes from the environment; `pnpm bench` runs the full set, `pnpm bench:quick` a small one. */
export const CONFIG = {
  runs: Number(process.env.BENCH_RUNS ?? 3),
  seconds: Number(process.env.BENCH_SECONDS ?? 4),
  concurrency: (process.env.BENCH_CONCURRENCY ?? "32,256").split(",").map(Number),
  mass: Number(process.env.BENCH_MASS ?? 100_000),
  scaleLevels: (process.env.BENCH_SCALE ?? "1000,10000,100000").split(",").map(Number),
  scaleOut: (process.env.BENCH_SCALE_OUT ?? "1x1,2x2").split(",").map((s) => {
    const [apis, workers] = s.split("x").map(Number);
    return { apis: apis ?? 1, workers: workers ?? 1 };
  }),
};
