import { describe, expect, it } from "vitest";
import { crc16, grownPrefixes, keySlot, SLOTS, shardPrefixes } from "./slots.js";

describe("slots", () => {
  it("computes the Cluster specification's CRC16 and hash-tag rules", () => {
    // The specification's example: CRC16 of "123456789" is 0x31C3.
    expect(crc16("123456789")).toBe(0x31c3);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
    expect(keySlot("foo{}{bar}")).toBe(crc16("foo{}{bar}") % SLOTS);
    expect(keySlot("foo{{bar}}zap")).toBe(crc16("{bar") % SLOTS);
  });

  it("keeps one shard's prefix as it was and spaces more shards' slots evenly", () => {
    expect(shardPrefixes("leash:{leash}:", 1)).toEqual(["leash:{leash}:"]);
    const prefixes = shardPrefixes("leash:{leash}:", 12);
    expect(prefixes[0]).toBe("leash:{leash}:");
    expect(new Set(prefixes).size).toBe(12);
    const base = keySlot(prefixes[0] ?? "");
    prefixes.forEach((p, n) => {
      expect(p).toMatch(/^leash:\{leash(\.[0-9a-z]+)?\}:$/);
      expect(keySlot(p)).toBe((base + Math.round((n * SLOTS) / 12)) % SLOTS);
    });
    // An even three-way split of the slots (what `redis-cli --cluster create` makes) holds four shards each.
    const third = (p: string) => Math.min(2, Math.floor(keySlot(p) / Math.ceil(SLOTS / 3)));
    expect([0, 1, 2].map((t) => prefixes.filter((p) => third(p) === t).length)).toEqual([4, 4, 4]);
  });
});

describe("growing the shards", () => {
  it("keeps the existing shards' tags and spaces the whole evenly again when it grows by a multiple", () => {
    const four = shardPrefixes("leash:{leash}:", 4);
    const twelve = grownPrefixes(four, 12);
    expect(twelve.slice(0, 4)).toEqual(four);
    expect(new Set(twelve).size).toBe(12);
    const base = keySlot(four[0] ?? "");
    const slots = twelve.map((p) => (keySlot(p) - base + SLOTS) % SLOTS).sort((a, b) => a - b);
    expect(slots).toEqual(Array.from({ length: 12 }, (_, n) => Math.round((n * SLOTS) / 12)));
    expect(grownPrefixes(twelve, 4)).toEqual(four);
  });
});
