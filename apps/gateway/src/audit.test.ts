import type { AuditEvent, BatchAuditSink } from "@leash/core";
import { describe, expect, it } from "vitest";
import { AuditBatcher } from "./audit.js";

class Sink implements BatchAuditSink {
  batches: AuditEvent[][] = [];
  fail = 0;
  async append(event: AuditEvent) {
    await this.appendMany([event]);
  }
  async appendMany(events: readonly AuditEvent[]) {
    if (this.fail > 0) {
      this.fail--;
      throw new Error("redis down");
    }
    this.batches.push([...events]);
  }
}

const event = (i: number): AuditEvent => ({
  type: "gateway.request",
  actor: null,
  outcome: "ok",
  detail: { i },
});

describe("batched audit of gateway requests", () => {
  it("sends a full batch at once and the rest after the interval, in order", async () => {
    const sink = new Sink();
    const batcher = new AuditBatcher(sink, { maxBatch: 3, intervalMs: 5 });
    for (let i = 0; i < 4; i++) expect(batcher.offer(event(i))).toBe(true);
    await batcher.flush();
    await batcher.close();
    expect(sink.batches.flat().map((e) => e.detail?.i)).toEqual([0, 1, 2, 3]);
    expect(sink.batches[0]).toHaveLength(3);
  });

  it("keeps a failed batch and writes it with the next, in order", async () => {
    const sink = new Sink();
    const errors: number[] = [];
    const batcher = new AuditBatcher(sink, {
      maxBatch: 10,
      intervalMs: 5,
      onError: (_e, n) => errors.push(n),
    });
    sink.fail = 1;
    batcher.offer(event(0));
    await batcher.flush();
    expect(sink.batches).toHaveLength(0);
    batcher.offer(event(1));
    expect(await batcher.close()).toBe(0);
    expect(sink.batches.flat().map((e) => e.detail?.i)).toEqual([0, 1]);
    expect(errors).toEqual([1]);
  });

  it("refuses events once the backlog is full, and says so", async () => {
    const sink = new Sink();
    sink.fail = Number.POSITIVE_INFINITY;
    const batcher = new AuditBatcher(sink, { maxBatch: 100, maxBacklog: 2, intervalMs: 1_000 });
    expect([batcher.offer(event(0)), batcher.offer(event(1)), batcher.offer(event(2))]).toEqual([
      true,
      true,
      false,
    ]);
    expect(batcher.accepting()).toBe(false);
    const deadline = new AbortController();
    const closing = batcher.close(deadline.signal);
    deadline.abort();
    expect(await closing).toBe(2);
  });
});
