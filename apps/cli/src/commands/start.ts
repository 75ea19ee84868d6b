import { ENTRYPOINTS, type SpawnedProcess, spawnTs } from "@leash/devstack";

/**
 * `leash start`: the API and the worker for production, configured from the environment. If either exits, the
 * other is stopped and the command exits non-zero, so a supervisor (systemd, Kubernetes) restarts both.
 */
export async function start(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const processes: SpawnedProcess[] = [
    spawnTs("api", ENTRYPOINTS.api, { env, echo: true }),
    spawnTs("worker", ENTRYPOINTS.worker, { env, echo: true }),
  ];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(processes.map((p) => p.stop()));
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void stopAll());
  const first = await Promise.race(processes.map((p) => p.exited.then((code) => ({ name: p.name, code }))));
  const expected = stopping;
  await stopAll();
  if (!expected)
    process.stderr.write(`leash: the ${first.name} exited (code ${first.code}); stopped the rest\n`);
  return expected ? 0 : 1;
}
