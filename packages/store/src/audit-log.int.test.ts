import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisAuditLog } from "./audit-log.js";
import { connectRedis } from "./connection.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

describe("tamper-evident audit log", () => {
  it("chains concurrent appends from two writers and verifies", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const a = new RedisAuditLog(redis, prefix);
    const b = new RedisAuditLog(redis, prefix);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).append({ type: "lease.issued", actor: "x", outcome: "ok", detail: { i } }),
      ),
    );
    expect(await a.verify()).toEqual({ ok: true, checked: 50 });
  });

  it("verifies while other processes keep appending (entries after the scan are not 'missing')", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const writer = new RedisAuditLog(redis, prefix);
    const verifier = new RedisAuditLog(redis, prefix);
    await writer.append({ type: "t", actor: null, outcome: "ok" });
    let writing = true;
    const appending = (async () => {
      for (let i = 0; writing; i++)
        await writer.append({ type: "t", actor: null, outcome: "ok", detail: { i } });
    })();
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await verifier.verify());
    writing = false;
    await appending;
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("appendMany chains a batch larger than one script call, in order, between other writers' appends", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const a = new RedisAuditLog(redis, prefix);
    const b = new RedisAuditLog(redis, prefix);
    const batch = Array.from({ length: 450 }, (_, i) => ({
      type: "gateway.request",
      actor: null,
      outcome: "ok" as const,
      detail: { i },
    }));
    await Promise.all([
      a.appendMany(batch),
      ...Array.from({ length: 20 }, (_, i) =>
        b.append({ type: "t", actor: null, outcome: "ok", detail: { i } }),
      ),
    ]);
    await a.appendMany([]);
    expect(await a.verify()).toEqual({ ok: true, checked: 470 });
    const order = (await a.read("-", 1000))
      .filter((e) => e.type === "gateway.request")
      .map((e) => e.detail?.i);
    expect(order).toEqual(batch.map((e) => e.detail.i));
  });

  it("detects an edited entry at that entry", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const log = new RedisAuditLog(redis, prefix);
    for (let i = 0; i < 5; i++) await log.append({ type: "t", actor: null, outcome: "ok", detail: { i } });
    const events = await log.read("-", 10);
    const victim = events[2];
    if (!victim) throw new Error("no event");
    // Rebuild the stream with the same ids and hashes, altering only entry 3's content.
    const entries = await redis.xrange(log.stream, "-", "+");
    await redis.del(log.stream);
    for (const [id, fields] of entries) {
      const altered = fields.map((v, i) =>
        id === victim.id && fields[i - 1] === "e" ? v.replace('"i":2', '"i":9') : v,
      );
      await redis.xadd(log.stream, id, ...altered);
    }
    const result = await log.verify();
    expect(result.ok).toBe(false);
    expect(result.firstBad?.id).toBe(victim.id);
  });

  it("detects a deleted entry at the one after it", async () => {
    const log = new RedisAuditLog(redis, `t:{${randomUUID()}}:`);
    for (let i = 0; i < 4; i++) await log.append({ type: "t", actor: null, outcome: "ok", detail: { i } });
    const events = await log.read("-", 10);
    await redis.xdel(log.stream, events[1]?.id ?? "");
    expect(await log.verify()).toMatchObject({ ok: false, checked: 1, firstBad: { id: events[2]?.id } });
  });

  it("detects entries removed from the end: the head names an entry the log no longer reaches", async () => {
    const log = new RedisAuditLog(redis, `t:{${randomUUID()}}:`);
    for (let i = 0; i < 4; i++) await log.append({ type: "t", actor: null, outcome: "ok", detail: { i } });
    const events = await log.read("-", 10);
    await redis.xdel(log.stream, events[3]?.id ?? "");
    expect(await log.verify()).toMatchObject({
      ok: false,
      checked: 3,
      firstBad: { id: events[2]?.id, reason: "entries missing after this one" },
    });
  });
});
