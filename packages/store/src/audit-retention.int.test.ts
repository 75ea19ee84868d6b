import { createHmac, randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisAuditLog } from "./audit-log.js";
import type { AuditCheckpoint, CheckpointSigner } from "./audit-retention.js";
import { connectRedis } from "./connection.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

/** A stand-in signer (the real one signs with Leash's ES256 key, tested in @leash/providers). */
function hmacSigner(secret: string): CheckpointSigner {
  const mac = (body: string) => createHmac("sha256", secret).update(body).digest("base64url");
  return {
    async sign(checkpoint: AuditCheckpoint) {
      const body = Buffer.from(JSON.stringify(checkpoint)).toString("base64url");
      return `${body}.${mac(body)}`;
    },
    async verify(token: string) {
      const [body = "", sig] = token.split(".");
      return sig === mac(body)
        ? (JSON.parse(Buffer.from(body, "base64url").toString()) as AuditCheckpoint)
        : null;
    },
  };
}

async function logOf(count: number) {
  const log = new RedisAuditLog(redis, `t:{${randomUUID()}}:`);
  for (let i = 0; i < count; i++) {
    await log.append({ type: "t", actor: null, outcome: "ok", detail: { i } });
    // Stream ids carry the millisecond: give each event its own, so a cut between two of them is well defined.
    const at = Date.now();
    while (Date.now() === at) await Promise.resolve();
  }
  const events = await log.read("-", 100);
  return { log, events };
}

const msOf = (id: string | undefined) => Number((id ?? "0-0").split("-")[0]);

describe("audit retention behind a signed checkpoint", () => {
  const signer = hmacSigner("k1");

  it("drops old events, keeps verifying from the checkpoint, and keeps chaining new appends", async () => {
    const { log, events } = await logOf(10);
    // Trim before the 7th event's millisecond: events of that same millisecond stay.
    const cut = events[6];
    const result = await log.trim(signer, msOf(cut?.id));
    expect(result).toEqual({ trimmed: 6, firstKept: cut?.id });
    const remaining = await log.read("-", 100);
    expect(remaining.map((e) => e.id)).toEqual(events.slice(6).map((e) => e.id));
    expect(remaining.at(-1)?.id).toBe(events.at(-1)?.id);
    expect(await log.verify(signer)).toEqual({ ok: true, checked: remaining.length });
    await log.append({ type: "t", actor: null, outcome: "ok", detail: { after: true } });
    expect(await log.verify(signer)).toEqual({ ok: true, checked: remaining.length + 1 });
  });

  it("always keeps the newest event, and trims nothing when nothing is old enough", async () => {
    const { log, events } = await logOf(3);
    expect(await log.trim(signer, Date.now() + 60_000)).toMatchObject({ trimmed: 2 });
    expect((await log.read("-", 10)).map((e) => e.id)).toEqual([events[2]?.id]);
    expect(await log.trim(signer, 0)).toMatchObject({ trimmed: 0, firstKept: null });
    expect(await log.verify(signer)).toEqual({ ok: true, checked: 1 });
  });

  it("fails verification when the checkpoint is forged, missing, or the first kept event is removed", async () => {
    const { log } = await logOf(6);
    await log.trim(signer, Date.now() + 60_000);
    expect((await log.verify(hmacSigner("attacker"))).firstBad?.reason).toMatch(/does not verify/);
    expect((await log.verify()).firstBad?.reason).toMatch(/no key is configured/);

    const { log: second, events } = await logOf(6);
    await second.trim(signer, msOf(events[3]?.id));
    const [first] = await second.read("-", 1);
    await redis.xdel(second.stream, first?.id ?? "");
    expect((await second.verify(signer)).ok).toBe(false);

    const { log: third } = await logOf(4);
    await third.trim(signer, Date.now() + 60_000);
    await redis.del(third.checkpoint);
    expect((await third.verify(signer)).firstBad?.reason).toMatch(/hash chain broken/);
  });

  it("refuses to trim over a checkpoint that no longer verifies", async () => {
    const { log } = await logOf(4);
    await log.trim(signer, msOf((await log.read("-", 10))[2]?.id));
    await redis.set(log.checkpoint, "forged.token");
    expect(await log.trim(signer, Date.now() + 60_000)).toEqual({
      refused: expect.stringMatching(/does not verify/),
    });
  });
});
