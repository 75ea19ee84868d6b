import { z } from "zod";
import { KeyList, parseVault, TokenLookup } from "./responses.js";
import type { VaultSession } from "./session.js";

/** Token metadata Leash writes on every token it creates, so a token can be traced back to its lease. */
export interface LeashTokenMeta {
  leash_lease_id: string;
  leash_task_id: string;
  leash_agent: string;
  leash_target: string;
}

export interface LeashToken {
  accessor: string;
  meta: LeashTokenMeta;
  /** Epoch ms, whole seconds (Vault keeps creation_time in seconds). */
  createdAt: number;
}

const LeashMeta = z.object({
  leash_lease_id: z.string(),
  leash_task_id: z.string(),
  leash_agent: z.string(),
  leash_target: z.string(),
});

const LOOKUP_CONCURRENCY = 8;

/**
 * Revokes a token and, with it, every lease it created. Vault answers 400 `invalid accessor` when the accessor is
 * unknown (token_store.go lookupByAccessor), i.e. when the token is already gone: that is success here.
 */
export async function revokeAccessor(
  session: VaultSession,
  accessor: string,
  signal: AbortSignal,
): Promise<void> {
  const outcome = await session.attempt(
    { method: "POST", path: "auth/token/revoke-accessor", body: { accessor } },
    signal,
  );
  if (outcome.ok) return;
  const { status, message = "" } = outcome.failure;
  if (status === 400 && /invalid accessor|token not found/.test(message)) return;
  throw outcome.error;
}

/**
 * Every live token Leash created that `match` selects: `LIST auth/token/accessors` (list + sudo) and one
 * `lookup-accessor` per token. This is O(tokens in Vault), so it serves the rare paths only: a mint whose outcome
 * is unknown, and cutting a whole token target.
 */
export async function findLeashTokens(
  session: VaultSession,
  match: (token: LeashToken) => boolean,
  signal: AbortSignal,
): Promise<LeashToken[]> {
  const listed = await session.attempt({ method: "LIST", path: "auth/token/accessors" }, signal);
  if (!listed.ok) {
    // An empty list is a 404 with no errors (api-docs index.mdx).
    if (listed.failure.status === 404) return [];
    throw listed.error;
  }
  const accessors = parseVault(KeyList, listed.body, "LIST auth/token/accessors").data.keys;
  const found: LeashToken[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    // Once the caller gives up, stop starting lookups: their outcome would go nowhere.
    while (next < accessors.length && !signal.aborted) {
      const accessor = accessors[next++];
      if (accessor === undefined) return;
      const outcome = await session.attempt(
        { method: "POST", path: "auth/token/lookup-accessor", body: { accessor } },
        signal,
      );
      if (!outcome.ok) {
        if (outcome.failure.status === 400) continue; // revoked or expired since the list was taken
        throw outcome.error;
      }
      const { data } = parseVault(TokenLookup, outcome.body, "auth/token/lookup-accessor");
      const meta = LeashMeta.safeParse(data.meta ?? {});
      if (!meta.success) continue;
      const token = { accessor, meta: meta.data, createdAt: data.creation_time * 1000 };
      if (match(token)) found.push(token);
    }
  }
  await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, accessors.length) }, worker));
  return found;
}
