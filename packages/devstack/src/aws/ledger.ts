import type { PolicyDocument } from "./policy-document.js";
import { evaluate } from "./policy-eval.js";
import { type Principal, principalContext } from "./principal.js";
import type { AwsState, SessionRecord } from "./state.js";

/** One session the emulator ever issued, as fault-injection tests judge it: identifiers and times, no secret. */
export interface LedgerSession {
  access_key_id: string;
  role_name: string;
  /** The RoleSessionName: Leash sets it to the lease id. */
  session_name: string;
  tags: Record<string, string>;
  issued_at: number;
  /** STS's own expiry (epoch ms). */
  expires_at: number;
  /** When the session first stopped working (epoch ms): a deny covered it, its role went, or it expired. */
  ended_at: number | null;
  ended_by: "deny" | "role" | "expiry" | null;
  /** Whether the session still works at the moment of the query. */
  alive: boolean;
}

/**
 * A request every Leash-issued session could make while it works. Leash's revocation denies (one per session, and
 * the whole-role `aws:TokenIssueTime` cut) deny every action on every resource, so they match this probe.
 */
const PROBE = { action: "s3:GetObject", resource: "arn:aws:s3:::*" };

function principalOf(state: AwsState, s: SessionRecord): Principal {
  const arn = `arn:aws:sts::${state.accountId}:assumed-role/${s.roleName}/${s.sessionName}`;
  return { kind: "session", arn, userId: `${s.roleId}:${s.sessionName}`, session: s };
}

/**
 * Remembers when each session stopped working, observed at the moment the IAM change that ended it was made, so
 * a test can ask afterwards how late a revocation was without polling every credential. The answer is the
 * emulator's, i.e. the view from outside Leash.
 */
export class SessionLedger {
  private readonly ended = new Map<string, { at: number; by: "deny" | "role" | "expiry" }>();

  constructor(private readonly state: AwsState) {}

  /** Called after an inline policy is put on a role: sessions it explicitly denies end now. */
  policyPut(roleName: string, doc: PolicyDocument): void {
    const now = this.state.now();
    for (const s of this.state.sessionRecords()) {
      if (s.roleName !== roleName || this.ended.has(s.accessKeyId) || now >= s.expiresAt) continue;
      const context = principalContext(this.state, principalOf(this.state, s));
      if (evaluate({ ...PROBE, context }, [doc]) === "explicit_deny") {
        this.ended.set(s.accessKeyId, { at: now, by: "deny" });
      }
    }
  }

  /** Whether the session works now: not expired, its role unchanged, and no explicit deny on it. */
  alive(s: SessionRecord): boolean {
    if (this.state.now() >= s.expiresAt) return false;
    const role = this.state.roles.get(s.roleName);
    if (!role || role.id !== s.roleId) return false;
    const identity = [...role.attached.values(), ...role.inline.values()].map((p) => p.doc);
    const context = principalContext(this.state, principalOf(this.state, s));
    return evaluate({ ...PROBE, context }, identity) !== "explicit_deny";
  }

  entries(): LedgerSession[] {
    const now = this.state.now();
    return this.state.sessionRecords().map((s) => {
      const alive = this.alive(s);
      let ended = this.ended.get(s.accessKeyId);
      if (!ended && !alive) {
        // Not ended by a deny we saw being put: by its own expiry, or its role was deleted or replaced.
        ended = now >= s.expiresAt ? { at: s.expiresAt, by: "expiry" } : { at: now, by: "role" };
        this.ended.set(s.accessKeyId, ended);
      }
      return {
        access_key_id: s.accessKeyId,
        role_name: s.roleName,
        session_name: s.sessionName,
        tags: { ...s.tags },
        issued_at: s.issuedAt,
        expires_at: s.expiresAt,
        ended_at: ended?.at ?? null,
        ended_by: ended?.by ?? null,
        alive,
      };
    });
  }
}
