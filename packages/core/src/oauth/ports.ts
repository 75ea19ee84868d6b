/** Seen DPoP proofs (RFC 9449 §11.1), so each is accepted once. */
export interface DpopReplayCache {
  /**
   * Records `key` (derived from the proof's key and `jti`) until `untilMs`, the end of the proof's acceptance
   * window; false when it is already recorded: the proof is a replay.
   */
  firstUse(key: string, untilMs: number): Promise<boolean>;
}

/** One ended access token, as resource servers learn it: its `jti` (the lease id), `aud` and `exp` (epoch s). */
export interface OAuthRevocation {
  jti: string;
  aud: string;
  exp: number;
}

/** A page of the revocation feed after a cursor, oldest first; `cursor` is where the next read starts. */
export interface OAuthRevocationPage {
  items: OAuthRevocation[];
  cursor: string;
  /** True when more entries follow this page already. */
  more: boolean;
}

/**
 * Ended access tokens in the order they were recorded, for resource servers that verify tokens locally and keep a
 * view of revocations (`GET /oauth/revocations`). Entries are kept until every token they cover has expired.
 */
export interface OAuthRevocationFeed {
  record(entries: readonly OAuthRevocation[]): Promise<void>;
  /** Entries recorded after `cursor` (the start of what is kept when null), at most `limit`. */
  read(cursor: string | null, limit: number): Promise<OAuthRevocationPage>;
}
