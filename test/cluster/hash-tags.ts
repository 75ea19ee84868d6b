/** Redis Cluster's slot count: a key's slot is CRC16 of its hash tag modulo this. */
const SLOTS = 16_384;

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes keys with. */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The slot of every key carrying `{tag}` (a non-empty tag: Redis hashes the whole key for `{}`). */
export function tagSlot(tag: string): number {
  return crc16(tag) % SLOTS;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `base` followed by every string over ALPHABET, shortest first: the candidates the tag search walks. */
function* candidates(base: string): Generator<string> {
  for (let length = 1; length <= 4; length++) {
    const total = ALPHABET.length ** length;
    for (let n = 0; n < total; n++) {
      let suffix = "";
      for (let rest = n, i = 0; i < length; i++, rest = Math.floor(rest / ALPHABET.length))
        suffix += ALPHABET[rest % ALPHABET.length];
      yield base + suffix;
    }
  }
}

/**
 * `n` short tags whose slots are exactly round(i * 16384 / n), for the tests' own shards (the store's sharding
 * computes its tags itself). Rounding, not flooring, matters: `redis-cli --cluster create` starts primary k's range
 * at round(k * 16384 / 3), so with n a multiple of 3 a floored target (10922 for i = 8 of 12) falls one slot short
 * of the third primary and gives the second five tags of twelve.
 */
export function evenlySpacedTestTags(n: number, base = "t"): { tag: string; slot: number }[] {
  const wanted = new Map<number, number>();
  for (let i = 0; i < n; i++) wanted.set(Math.round((i * SLOTS) / n) % SLOTS, i);
  const found: { tag: string; slot: number }[] = [];
  for (const tag of candidates(base)) {
    const slot = tagSlot(tag);
    const index = wanted.get(slot);
    if (index === undefined) continue;
    found[index] = { tag, slot };
    wanted.delete(slot);
    if (wanted.size === 0) return found;
  }
  throw new Error(`no tag of up to 4 characters after "${base}" for slots ${[...wanted.keys()].join(", ")}`);
}
