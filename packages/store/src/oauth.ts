import { createHash } from "node:crypto";
import type {
  Clock,
  DpopReplayCache,
  OAuthRevocation,
  OAuthRevocationFeed,
  OAuthRevocationPage,
} from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** DPoP proofs seen: one key per proof (a digest, so nothing of the proof is stored), expiring with its window. */
export class RedisDpopReplayCache implements DpopReplayCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly clock: Clock,
  ) {}

  firstUse(key: string, untilMs: number): Promise<boolean> {
    return guard("record a DPoP proof", async () => {
      const digest = createHash("sha256").update(key).digest("base64url");
      const ttl = Math.max(1, Math.ceil(untilMs - this.clock.now()));
      return (await this.redis.set(this.keys.dpopProof(digest), "1", "PX", ttl, "NX")) === "OK";
    });
  }
}

/** Stream ids: `<ms>-<seq>`, each a 64-bit unsigned integer (Redis refuses anything larger). */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const U64_MAX = 2n ** 64n - 1n;
const LAST_ID = `${U64_MAX}-${U64_MAX}`;

/** Whether `text` is a feed cursor: a stream id Redis accepts. */
export function isFeedCursor(text: string): boolean {
  const parts = STREAM_ID.exec(text);
  return parts !== null && BigInt(parts[1] ?? "") <= U64_MAX && BigInt(parts[2] ?? "") <= U64_MAX;
}

function entryOf(fields: string[]): OAuthRevocation | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? "", fields[i + 1] ?? "");
  const jti = map.get("jti");
  const aud = map.get("aud");
  const exp = Number(map.get("exp"));
  return jti && aud && Number.isFinite(exp) ? { jti, aud, exp } : null;
}

/** The feed of ended access tokens: a Redis stream, so a reader's cursor is the id of the last entry it saw. */
export class RedisOAuthRevocationFeed implements OAuthRevocationFeed {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Pick<Scripts, "oauthRevoked">,
    private readonly clock: Clock,
  ) {}

  async record(entries: readonly OAuthRevocation[]): Promise<void> {
    if (entries.length === 0) return;
    await this.scripts.oauthRevoked(
      [this.keys.oauthRevocations],
      [Math.floor(this.clock.now() / 1000), ...entries.flatMap((e) => [e.jti, e.aud, e.exp])],
    );
  }

  async read(cursor: string | null, limit: number): Promise<OAuthRevocationPage> {
    if (cursor !== null && !isFeedCursor(cursor)) throw new RangeError("not a feed cursor");
    // Nothing comes after the last id, and Redis refuses an interval that starts past it.
    if (cursor === LAST_ID) return { items: [], cursor, more: false };
    return await guard("read the revocation feed", async () => {
      const start = cursor === null ? "-" : `(${cursor}`;
      const rows = await this.redis.xrange(this.keys.oauthRevocations, start, "+", "COUNT", limit + 1);
      const page = rows.slice(0, limit);
      const items = page.flatMap(([, fields]) => entryOf(fields) ?? []);
      const last = page.at(-1)?.[0];
      return { items, cursor: last ?? cursor ?? "0-0", more: rows.length > limit };
    });
  }
}
