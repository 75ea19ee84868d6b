import { GatewayRevocationSet } from "../gateway-revocations.js";
import type { GatewayRevocation, GatewayRevocations } from "../ports.js";
import { CallLog } from "./calls.js";

/**
 * Records revocations in memory; `set` answers what a gateway following them would (`ended`), and `failNext` makes
 * the next record throw the given error (a Redis outage).
 */
export class FakeGatewayRevocations implements GatewayRevocations {
  readonly entries: GatewayRevocation[] = [];
  readonly set = new GatewayRevocationSet();
  failNext: unknown;

  constructor(private readonly log = new CallLog()) {}

  async record(entries: readonly GatewayRevocation[]): Promise<void> {
    this.log.record("gateway.record");
    if (this.failNext !== undefined) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    for (const entry of entries) {
      this.entries.push(entry);
      this.set.add(entry);
    }
  }
}
