import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DEV_BUCKET, type DevAws, type DevVault } from "@leash/devstack";
import type { IntrospectionWatch } from "./introspection-watch.js";
import type { Journal } from "./journal.js";

type CredentialKind = "leash-jwt" | "aws-sts" | "vault-token" | "vault-reader" | "vault-dynamic";

/** One credential that existed outside Leash, as the emulators (or, for task tokens, a tool) report it. */
export interface Credential {
  kind: CredentialKind;
  /** Provider-side identifier: access key id, token accessor, Vault lease id, or the lease id for task tokens. */
  id: string;
  leaseId: string;
  /** When the provider issued it (epoch ms). */
  mintedAt: number;
  /** When it first stopped working, or null if it never did. */
  stoppedAt: number | null;
  /** Whether the provider says it works now. */
  alive: boolean;
  /** Whether the agent ever received it (otherwise only the provider and Leash's records know of it). */
  delivered: boolean;
}

const LEASE_ID = /^ls_[0-9a-z]{25}$/;

/**
 * Every credential the emulators ever issued for a Leash lease (STS sessions are named after the lease; Vault
 * tokens carry it in their meta, and a dynamic secret belongs to the token that read it), plus every task token
 * the agents received. Vault's per-lease reader token behind a dynamic secret is a credential of its own.
 */
export function credentialsIssued(
  vault: DevVault,
  aws: DevAws,
  journal: Journal,
  watch: IntrospectionWatch,
): Credential[] {
  const out: Credential[] = [];
  for (const s of aws.emulator.ledger()) {
    if (!LEASE_ID.test(s.session_name)) continue;
    out.push({
      kind: "aws-sts",
      id: s.access_key_id,
      leaseId: s.session_name,
      mintedAt: s.issued_at,
      stoppedAt: s.ended_at,
      alive: s.alive,
      delivered: journal.delivered.has(s.session_name),
    });
  }
  const { tokens, leases } = vault.emulator.ledger();
  const leaseOfAccessor = new Map<string, string>();
  const readers = new Set(leases.map((l) => l.token_accessor));
  for (const t of tokens) {
    const leaseId = t.meta?.leash_lease_id;
    if (!leaseId) continue;
    leaseOfAccessor.set(t.accessor, leaseId);
    // The dev stack's dynamic target is db-readonly; a reader whose read failed has no secret to point at it.
    out.push({
      kind:
        readers.has(t.accessor) || t.meta?.leash_target === "db-readonly" ? "vault-reader" : "vault-token",
      id: t.accessor,
      leaseId,
      mintedAt: t.created_at,
      stoppedAt: t.ended_at,
      alive: t.alive,
      delivered: journal.delivered.has(leaseId),
    });
  }
  for (const l of leases) {
    const leaseId = l.token_accessor ? leaseOfAccessor.get(l.token_accessor) : undefined;
    if (!leaseId) continue;
    out.push({
      kind: "vault-dynamic",
      id: l.lease_id,
      leaseId,
      mintedAt: l.issued_at,
      stoppedAt: l.ended_at,
      alive: l.alive,
      delivered: journal.delivered.has(leaseId),
    });
  }
  for (const d of journal.delivered.values()) {
    if (d.provider !== "leash-jwt") continue;
    const exp = tokenExpiry(String(d.credential.token));
    const watched = watch.stoppedAt.get(d.leaseId);
    const candidates = [exp, watched].filter((t): t is number => t !== undefined);
    out.push({
      kind: "leash-jwt",
      id: d.leaseId,
      leaseId: d.leaseId,
      mintedAt: d.deliveredAt,
      stoppedAt:
        candidates.length > 0 && Math.min(...candidates) <= Date.now() ? Math.min(...candidates) : null,
      alive: false, // decided by introspection in `stillWorks`
      delivered: true,
    });
  }
  return out;
}

/** The token's own `exp` (epoch ms): what offline verifiers enforce whatever Leash's state. */
function tokenExpiry(jwt: string): number | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: number };
  return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
}

/**
 * Tries each delivered credential the way its holder would use it: S3 GetObject with the STS keys, Vault
 * `lookup-self` with the token, the database user of a dynamic secret, introspection of a task token. Returns the
 * lease ids whose credential still works.
 */
export async function stillWorks(
  vault: DevVault,
  aws: DevAws,
  journal: Journal,
  watch: IntrospectionWatch,
): Promise<Set<string>> {
  const alive = new Set<string>();
  const checks = [...journal.delivered.values()].map((d) => async () => {
    const c = d.credential;
    let works = false;
    if (d.provider === "aws-sts") {
      const s3 = new S3Client({
        region: "us-east-1",
        endpoint: aws.emulator.url,
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: {
          accessKeyId: String(c.access_key_id),
          secretAccessKey: String(c.secret_access_key),
          sessionToken: String(c.session_token),
        },
      });
      works = await s3
        .send(new GetObjectCommand({ Bucket: DEV_BUCKET, Key: "docs/readme.md" }))
        .then(
          () => true,
          () => false,
        )
        .finally(() => s3.destroy());
    } else if (d.provider === "vault" && typeof c.token === "string") {
      const res = await fetch(`${vault.emulator.url}/v1/auth/token/lookup-self`, {
        headers: { "x-vault-token": c.token },
      });
      await res.text();
      works = res.status === 200;
    } else if (d.provider === "vault") {
      const username = (c.data as { username?: string } | undefined)?.username ?? "";
      const res = await fetch(`${vault.emulator.url}/__admin/database/users/${encodeURIComponent(username)}`);
      await res.text();
      works = res.status === 200;
    } else {
      works = await watch.active(String(c.token));
    }
    if (works) alive.add(d.leaseId);
  });
  for (let i = 0; i < checks.length; i += 32)
    await Promise.all(checks.slice(i, i + 32).map((check) => check()));
  return alive;
}
