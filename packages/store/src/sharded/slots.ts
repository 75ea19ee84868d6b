/**
 * Redis Cluster's key slots: CRC16 (XMODEM) of the hash tag, modulo 16,384 (the Cluster specification's `HASH_SLOT`).
 * Used to place shards' tags, not to route: the Cluster client routes by itself.
 */
export const SLOTS = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

export function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text))
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/** The slot of a key: only its first non-empty `{...}` counts, when it has one. */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % SLOTS;
  }
  return crc16(key) % SLOTS;
}

/**
 * The key prefix of each of `count` shards. Shard 0 is `prefix` itself (so one shard is the keyspace as it was);
 * shard n's tag is the base tag with a suffix chosen so that its slot lies n/count of the way round from shard 0's.
 * Evenly spaced slots mean a Cluster whose slots are split evenly (as `redis-cli --cluster create` and rebalance do)
 * holds the same number of shards on each primary: 12 shards on 3 primaries, 4 each.
 */
export function shardPrefixes(prefix: string, count: number): string[] {
  return grownPrefixes([prefix], count);
}

/**
 * Adds shards to `existing` (whose tags never change: their keys stay where they are) up to `count`: the new ones
 * take the points of the even grid for `count` that the existing ones do not stand on. Growing by a multiple (4 to
 * 12) keeps the spacing exactly even.
 */
export function grownPrefixes(existing: readonly string[], count: number): string[] {
  const [first] = existing;
  if (first === undefined) throw new RangeError("no shard to grow from");
  if (count <= existing.length) return existing.slice(0, count);
  const base = keySlot(first);
  const grid = Array.from({ length: count }, (_, n) => (base + Math.round((n * SLOTS) / count)) % SLOTS);
  const distance = (a: number, b: number) => Math.min(Math.abs(a - b), SLOTS - Math.abs(a - b));
  const free = new Set(grid);
  for (const p of existing) {
    const slot = keySlot(p);
    const nearest = [...free].sort((a, b) => distance(a, slot) - distance(b, slot))[0];
    if (nearest !== undefined) free.delete(nearest);
  }
  return [
    ...existing,
    ...tagsFor(
      first,
      [...free].sort((a, b) => grid.indexOf(a) - grid.indexOf(b)),
    ),
  ];
}

/** A prefix like `base`'s, with a tag whose slot is each of `slots` (in order). */
function tagsFor(base: string, slots: readonly number[]): string[] {
  const open = base.indexOf("{");
  const close = base.indexOf("}", open + 1);
  const tag = base.slice(open + 1, close);
  const wanted = new Map(slots.map((slot, i) => [slot, i]));
  const found: string[] = [];
  // Every slot is reached within a few hundred thousand suffixes; the search is deterministic, so every process
  // computes the same tags.
  for (let i = 0; wanted.size > 0 && i < 4_000_000; i++) {
    const candidate = `${tag}.${i.toString(36)}`;
    const slot = crc16(candidate) % SLOTS;
    const at = wanted.get(slot);
    if (at === undefined) continue;
    wanted.delete(slot);
    found[at] = `${base.slice(0, open + 1)}${candidate}${base.slice(close)}`;
  }
  if (wanted.size > 0) throw new Error(`no tag found for ${wanted.size} of ${slots.length} slots`);
  return found;
}

/**
 * Which of the home shards (the map's first `homes`, fixed when the store was first sharded, so that growing moves
 * nothing) keeps a value shared across task trees (a quota pool, an idempotency claim, a placement) whose keys carry
 * this digest (keys.ts `digest`): spread like keys over slots.
 */
export function homeShard(keyDigest: string, homes: number): number {
  return crc16(keyDigest) % homes;
}
