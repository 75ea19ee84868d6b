import { onStopSignals, startApiEmulator } from "@leash/devstack";

/**
 * The gateway section's upstream: the API emulator in a process of its own, so the bench's bookkeeping (issuing and
 * revoking leases while the load runs) never shares its thread. It records nothing, and prints its URL when ready.
 */
const emulator = await startApiEmulator({
  apiKey: process.env.UPSTREAM_API_KEY ?? "",
  port: Number(process.env.PORT ?? 0),
  maxRecords: 0,
  issues: {
    "leash-dev/demo": [{ title: "Benchmark the gateway", body: "Direct and through it, alternately." }],
  },
});
process.stdout.write(`upstream ${emulator.url}\n`);
// Dies with the bench that started it (its IPC channel closes).
onStopSignals(() => process.exit(0));
