/**
 * Names and documents of the inline policies Leash writes on a target role. Everything revocation needs later is
 * in the policy names, so pruning and cutting read one ListRolePolicies and no other state.
 *
 * - `leash-deny-<issued>-<expires>-<session>` denies one session (`aws:userid` = `<role id>:<session>`); the
 *   times are epoch seconds by AWS's clock (from the STS `Expiration`), so an entry can go once its credential
 *   has expired by itself, or once a cut covers its issue time.
 * - `LeashRevokeOlderSessions` denies every session issued before an instant (`aws:TokenIssueTime`), what the
 *   console's "Revoke active sessions" writes as `AWSRevokeOlderSessions`; a Leash name keeps the console and
 *   Leash from overwriting each other's instant, and pruning never touches the console's policy.
 * - Before the first cut, `LeashRevokeOlderSessions` holds its own room as a reserve: the same deny at an instant
 *   that matches nothing (1970). Every cut then replaces it in place (same name, same size), so a role whose
 *   budget is full of entries can always be cut, and no room is ever freed that a concurrent entry could take.
 *   `LeashCutReserve` is the separate reserve earlier versions wrote; it is traded for the first cut and pruned.
 */
export const ENTRY_PREFIX = "leash-deny-";
export const CUT_POLICY = "LeashRevokeOlderSessions";
export const RESERVE_POLICY = "LeashCutReserve";

export interface DenyEntry {
  /** Epoch seconds (AWS clock, whole seconds as STS reports them). */
  issuedSec: number;
  expiresSec: number;
  sessionName: string;
}

const ENTRY = /^leash-deny-(\d{1,12})-(\d{1,12})-([\w+=,.@-]{2,64})$/;

export function entryName(entry: DenyEntry): string {
  return `${ENTRY_PREFIX}${entry.issuedSec}-${entry.expiresSec}-${entry.sessionName}`;
}

export function parseEntryName(name: string): DenyEntry | undefined {
  const m = ENTRY.exec(name);
  if (!m) return undefined;
  return { issuedSec: Number(m[1]), expiresSec: Number(m[2]), sessionName: m[3] ?? "" };
}

const deny = (condition: Record<string, Record<string, string>>) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition: condition }],
  });

export function entryDocument(roleId: string, sessionName: string): string {
  return deny({ StringEquals: { "aws:userid": `${roleId}:${sessionName}` } });
}

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Every session issued before `beforeSec` (epoch seconds) is denied; the same length for any instant. */
export function cutDocument(beforeSec: number): string {
  return deny({ DateLessThan: { "aws:TokenIssueTime": iso(beforeSec) } });
}

export function reserveDocument(): string {
  return cutDocument(0);
}

/** The instant of a cut document (epoch seconds), or undefined when it is not one Leash wrote. */
export function parseCutDocument(document: string): number | undefined {
  const m = /"aws:TokenIssueTime":"([^"]+)"/.exec(document.replace(/\s/g, ""));
  const ms = m ? Date.parse(m[1] ?? "") : Number.NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
