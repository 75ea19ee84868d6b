import type { RedisClient } from "./connection.js";

/** What a signed checkpoint vouches for: the chain resumes at `first_id` from `prev_hash`. */
export interface AuditCheckpoint {
  first_id: string;
  prev_hash: string;
  /** When the trim happened (ms since the epoch). */
  at: number;
}

/** Signs and verifies checkpoints (Leash signs them with its task-token key; see @leash/providers). */
export interface CheckpointSigner {
  sign(checkpoint: AuditCheckpoint): Promise<string>;
  /** The checkpoint if the signature is valid under a current key, otherwise null. */
  verify(token: string): Promise<AuditCheckpoint | null>;
}

export type TrimResult =
  | { trimmed: number; firstKept: string }
  | { trimmed: 0; firstKept: null; resigned: boolean }
  | { refused: string };

/** The audit stream and the key of its signed trim checkpoint. */
export interface AuditKeys {
  stream: string;
  checkpoint: string;
}

/**
 * Drops the events older than `before` (ms), always keeping the newest one, and writes a signed checkpoint holding the
 * hash of the last dropped event, so verification still works from the trim point. Re-signs an existing checkpoint
 * with the current key (after a key rotation) — but never one whose signature no longer verifies.
 */
export async function trimAudit(
  redis: RedisClient,
  { stream, checkpoint: key }: AuditKeys,
  signer: CheckpointSigner,
  before: number,
  /** When the trim happens: the checkpoint's `at`. */
  now: number,
): Promise<TrimResult> {
  const existing = await redis.get(key);
  const previous = existing ? await signer.verify(existing) : undefined;
  if (previous === null) return { refused: "the stored checkpoint does not verify: not trimming over it" };

  const [kept] = await redis.xrange(stream, `${before}-0`, "+", "COUNT", 1);
  const [newest] = await redis.xrevrange(stream, "+", "-", "COUNT", 1);
  const firstKept = kept?.[0] ?? newest?.[0];
  const [last] = firstKept ? await redis.xrevrange(stream, `(${firstKept}`, "-", "COUNT", 1) : [];
  if (!firstKept || !last) {
    if (!existing || !previous) return { trimmed: 0, firstKept: null, resigned: false };
    const again = await signer.sign(previous);
    if (again !== existing) await redis.set(key, again);
    return { trimmed: 0, firstKept: null, resigned: again !== existing };
  }
  const prevHash = field(last[1], "h");
  const token = await signer.sign({ first_id: firstKept, prev_hash: prevHash, at: now });
  const replies = await redis.multi().set(key, token).xtrim(stream, "MINID", firstKept).exec();
  const trimmed = Number(replies?.[1]?.[1] ?? 0);
  return { trimmed, firstKept };
}

/** Where verification starts: the beginning of the stream, or a checkpoint (which must verify). */
export async function chainStart(
  redis: RedisClient,
  { checkpoint: key }: AuditKeys,
  signer: CheckpointSigner | undefined,
): Promise<{ prev: string; firstId: string | null; token: string | null } | { error: string }> {
  const token = await redis.get(key);
  if (!token) return { prev: "", firstId: null, token: null };
  if (!signer) return { error: "the log was trimmed but no key is configured to verify its checkpoint" };
  const checkpoint = await signer.verify(token);
  if (!checkpoint)
    return { error: "the trim checkpoint's signature does not verify: it was altered or forged" };
  return { prev: checkpoint.prev_hash, firstId: checkpoint.first_id, token };
}

function field(fields: string[], name: string): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] ?? "";
  return "";
}
