import type { ApiClient } from "./http.js";

const POLL_MS = 100;
const GIVE_UP_MS = 120_000;

/**
 * The outside view of Leash task tokens: what a tool sees at `POST /v1/introspect`. A token counts as stopped from
 * the first answer that is not `active: true` (an unreachable or failing introspection makes a tool refuse the
 * token as well) unless a later answer says `active: true` again; watching ends at the first `active: false`.
 */
export class IntrospectionWatch {
  /** Lease id -> when the token stopped working as far as a tool could tell. */
  readonly stoppedAt = new Map<string, number>();
  private readonly watching: Promise<void>[] = [];
  /** Lease id -> the earliest instant a watch of it starts. */
  private readonly starts = new Map<string, number>();

  constructor(
    private readonly client: ApiClient,
    private readonly callerToken: () => string,
  ) {}

  /** Polls the token from `from` on; a later watch of the same lease runs only if it starts earlier. */
  watch(leaseId: string, token: string, from: number): void {
    const earlier = this.starts.get(leaseId);
    if (this.stoppedAt.has(leaseId) || (earlier !== undefined && earlier <= from)) return;
    this.starts.set(leaseId, from);
    this.watching.push(this.poll(leaseId, token, from));
  }

  async settled(): Promise<void> {
    await Promise.all(this.watching);
  }

  /** One answer now: true while a tool would still accept the token. */
  async active(token: string): Promise<boolean> {
    const reply = await this.client.call("POST", "/v1/introspect", this.callerToken(), `token=${token}`, {
      "content-type": "application/x-www-form-urlencoded",
    });
    return reply.status === 200 && reply.body.active === true;
  }

  private async poll(leaseId: string, token: string, from: number): Promise<void> {
    const wait = from - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const giveUp = Date.now() + GIVE_UP_MS;
    let firstNotActive: number | undefined;
    while (Date.now() < giveUp) {
      const at = Date.now();
      const reply = await this.client.call("POST", "/v1/introspect", this.callerToken(), `token=${token}`, {
        "content-type": "application/x-www-form-urlencoded",
      });
      if (reply.status === 200 && reply.body.active === true) firstNotActive = undefined;
      else firstNotActive ??= at;
      if (reply.status === 200 && reply.body.active === false) {
        const stopped = firstNotActive ?? at;
        this.stoppedAt.set(leaseId, Math.min(this.stoppedAt.get(leaseId) ?? stopped, stopped));
        return;
      }
      if (this.stoppedAt.has(leaseId)) return; // an earlier watch already saw it stop
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
