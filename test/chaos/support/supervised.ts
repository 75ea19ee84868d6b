import { type SpawnedProcess, spawnTs } from "@leash/devstack";

/** One stretch of time a process was not serving: from its death to the moment it was ready again. */
export interface Outage {
  from: number;
  to: number | null;
  cause: "kill" | "crash";
}

export interface SupervisedOptions {
  name: string;
  entry: string;
  env: () => NodeJS.ProcessEnv;
  /** Resolves once a freshly started process serves; throws if it cannot. */
  ready: (process: SpawnedProcess) => Promise<void>;
}

/**
 * A Leash process under a supervisor, as production runs it: whenever it dies (a `kill -9` from the suite, or a
 * failpoint that killed it from inside) it is started again with the same environment, on the same port. Each
 * outage is recorded, because the time a process was away is part of the lateness bound of its fault.
 */
export class Supervised {
  private current: SpawnedProcess | undefined;
  private stopping = false;
  private starting: Promise<void> | undefined;
  private pendingCause: Outage["cause"] | undefined;
  readonly outages: Outage[] = [];
  private readonly logs: string[] = [];

  constructor(private readonly options: SupervisedOptions) {}

  get process(): SpawnedProcess | undefined {
    return this.current;
  }

  /** Everything every incarnation printed. */
  output(): string {
    return this.logs.join("") + (this.current?.output() ?? "");
  }

  /** Processes that died without the suite asking (failpoints). */
  get crashes(): number {
    return this.outages.filter((o) => o.cause === "crash").length;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.launch();
  }

  /** `kill -9` now; the supervisor brings it back. Resolves when it serves again. */
  async kill(): Promise<void> {
    const p = this.current;
    if (!p) return;
    this.pendingCause = "kill";
    await p.kill();
    await this.ready();
  }

  /** Resolves once the current incarnation serves (waits through a restart in progress). */
  async ready(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const starting = this.starting;
      if (!starting) return;
      await starting.catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`${this.options.name} did not come back within 60 s`);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    await this.current?.stop();
  }

  /** Starts an incarnation; `outage` is the one it ends once it serves (kept open if it dies before that). */
  private launch(outage?: Outage): Promise<void> {
    if (outage && !this.outages.includes(outage)) this.outages.push(outage);
    const previous = this.current;
    if (previous) this.logs.push(previous.output());
    const p = spawnTs(this.options.name, this.options.entry, { env: this.options.env() });
    this.current = p;
    let served = false;
    void p.exited.then(() => {
      if (this.stopping || this.current !== p) return;
      const cause = this.pendingCause ?? "crash";
      this.pendingCause = undefined;
      // Dying before it served continues the same outage.
      void this.launch(served || !outage ? { from: Date.now(), to: null, cause } : outage);
    });
    const started = this.options.ready(p).then(
      () => {
        served = true;
        if (outage) outage.to = Date.now();
      },
      () => undefined,
    );
    this.starting = started.finally(() => {
      if (this.current === p) this.starting = undefined;
    });
    return this.starting;
  }
}
