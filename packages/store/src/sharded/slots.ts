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
  const open = prefix.indexOf("{");
  const close = prefix.indexOf("}", open + 1);
  const tag = prefix.slice(open + 1, close);
  const base = keySlot(prefix);
  const wanted = new Map<number, number>();
  for (let n = 1; n < count; n++) wanted.set((base + Math.round((n * SLOTS) / count)) % SLOTS, n);
  const found: string[] = [prefix];
  // Every slot is reached within a few hundred thousand suffixes; the search is deterministic, so every process
  // computes the same tags.
  for (let i = 0; wanted.size > 0 && i < 4_000_000; i++) {
    const candidate = `${tag}.${i.toString(36)}`;
    const n = wanted.get(crc16(candidate) % SLOTS);
    if (n === undefined) continue;
    wanted.delete(crc16(candidate) % SLOTS);
    found[n] = `${prefix.slice(0, open + 1)}${candidate}${prefix.slice(close)}`;
  }
  if (wanted.size > 0) throw new Error(`no tag found for ${wanted.size} of ${count} shards`);
  return found;
}
