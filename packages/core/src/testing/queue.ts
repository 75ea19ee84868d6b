import type { RevocationQueue, RevokeOrder } from "../ports.js";
import { CallLog } from "./calls.js";

export class RecordingQueue implements RevocationQueue {
  readonly orders: RevokeOrder[] = [];

  constructor(private readonly log = new CallLog()) {}

  async revoke(orders: readonly RevokeOrder[]): Promise<void> {
    this.log.record("queue.revoke");
    this.orders.push(...orders);
  }
}
