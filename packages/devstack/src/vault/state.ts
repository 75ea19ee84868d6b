import { createHash } from "node:crypto";
import { DEFAULT_POLICY, type PolicyRule } from "./acl.js";
import { type LedgerLease, type LedgerToken, VaultLedger } from "./ledger.js";
import { MountTable } from "./mount-table.js";
import { newAccessor, newServiceToken } from "./values.js";

export interface EmulatorClock {
  now(): number;
}

export interface TokenEntry {
  readonly id: string;
  readonly accessor: string;
  /** Token id of the parent; null for orphans. Revoking the parent revokes the children. */
  parent: string | null;
  readonly policies: readonly string[];
  readonly meta: Readonly<Record<string, string>> | null;
  readonly displayName: string;
  /** The creation path (`auth/token/create`, `auth/approle/login`): what revoke-prefix matches. */
  readonly path: string;
  /** Epoch ms. */
  readonly creationTime: number;
  /** Seconds granted at creation (0: never expires). */
  readonly creationTtl: number;
  readonly explicitMaxTtl: number;
  /** Epoch ms, or null for a token that never expires (root). */
  expireAt: number | null;
  /** The cap renewals cannot pass (explicit max TTL, role max TTL, system max), epoch ms. */
  readonly maxExpireAt: number | null;
  /** Uses left; 0 means unlimited. */
  numUses: number;
  readonly renewable: boolean;
  lastRenewal: number | null;
  readonly children: Set<string>;
  readonly leases: Set<string>;
}

interface DatabaseSecret {
  readonly kind: "database";
  readonly role: string;
  readonly username: string;
}

export interface LeaseEntry {
  /** `<request path>/<opaque id>`, e.g. `database/creds/readonly/Xa1...`. */
  readonly id: string;
  /** The token whose revocation revokes this lease. */
  readonly tokenId: string;
  readonly issueTime: number;
  expireAt: number;
  readonly maxExpireAt: number;
  readonly renewable: boolean;
  readonly defaultTtl: number;
  lastRenewal: number | null;
  readonly secret: DatabaseSecret;
}

export interface DatabaseRole {
  /** Seconds. */
  readonly default_ttl: number;
  readonly max_ttl: number;
}

export interface AppRole {
  readonly role_id: string;
  readonly secret_id: string;
  readonly policies: readonly string[];
  /** Seconds; 0 means the system default. */
  readonly token_ttl: number;
  readonly token_max_ttl: number;
}

export interface DatabaseUser {
  readonly username: string;
  readonly role: string;
  readonly leaseId: string;
  readonly createdAt: number;
}

export interface NewToken {
  id?: string;
  parent: string | null;
  policies: readonly string[];
  meta: Record<string, string> | null;
  displayName: string;
  path: string;
  ttl: number;
  explicitMaxTtl: number;
  maxExpireAt: number | null;
  numUses: number;
  renewable: boolean;
}

export interface TtlLimits {
  /** Seconds: Vault's system defaults are 768 h for both. */
  defaultTtl: number;
  maxTtl: number;
}

/**
 * Everything the emulator knows, in memory. Expiry is lazy: `sweep()` runs before each request and admin query,
 * so an injected clock decides what has expired and tests never wait for a timer.
 */
export class VaultState {
  readonly tokens = new Map<string, TokenEntry>();
  readonly accessors = new Map<string, string>();
  readonly leases = new Map<string, LeaseEntry>();
  readonly databaseUsers = new Map<string, DatabaseUser>();
  readonly policies = new Map<string, readonly PolicyRule[]>([["default", DEFAULT_POLICY]]);
  readonly databaseRoles = new Map<string, DatabaseRole>();
  readonly appRoles = new Map<string, AppRole>();
  /** Secrets engines: KV v2 at `secret/` from the start, as `vault server -dev` mounts it. */
  readonly mounts = new MountTable();
  /** Every token and secret ever issued, kept past revocation, for tests that judge revocation from outside. */
  readonly ledger = new VaultLedger();
  sealed = false;

  constructor(
    readonly clock: EmulatorClock,
    readonly limits: TtlLimits,
  ) {}

  now(): number {
    return this.clock.now();
  }

  addToken(spec: NewToken): TokenEntry {
    const now = this.now();
    const entry: TokenEntry = {
      id: spec.id ?? newServiceToken(),
      accessor: newAccessor(),
      parent: spec.parent,
      policies: spec.policies,
      meta: spec.meta,
      displayName: spec.displayName,
      path: spec.path,
      creationTime: now,
      creationTtl: spec.ttl,
      explicitMaxTtl: spec.explicitMaxTtl,
      expireAt: spec.ttl > 0 ? now + spec.ttl * 1000 : null,
      maxExpireAt: spec.maxExpireAt,
      numUses: spec.numUses,
      renewable: spec.renewable && spec.ttl > 0,
      lastRenewal: null,
      children: new Set(),
      leases: new Set(),
    };
    this.tokens.set(entry.id, entry);
    this.accessors.set(entry.accessor, entry.id);
    if (spec.parent) this.tokens.get(spec.parent)?.children.add(entry.id);
    this.ledger.tokenCreated(entry);
    return entry;
  }

  token(id: string): TokenEntry | undefined {
    return this.tokens.get(id);
  }

  tokenByAccessor(accessor: string): TokenEntry | undefined {
    const id = this.accessors.get(accessor);
    return id === undefined ? undefined : this.tokens.get(id);
  }

  /**
   * Revokes a token, its non-orphan descendants and every lease any of them created (token_store.go revokeTree).
   * `at` is when it stopped working: now, or its expiry when the sweep finds it expired.
   */
  revokeToken(id: string, at = this.now()): void {
    const entry = this.tokens.get(id);
    if (!entry) return;
    for (const child of [...entry.children]) this.revokeToken(child, at);
    for (const lease of [...entry.leases]) this.revokeLease(lease, at);
    this.tokens.delete(id);
    this.accessors.delete(entry.accessor);
    if (entry.parent) this.tokens.get(entry.parent)?.children.delete(id);
    this.ledger.tokenEnded(entry.accessor, at);
  }

  /** revoke-orphan: the token goes, its children stay and become orphans. */
  revokeOrphan(id: string): void {
    const entry = this.tokens.get(id);
    if (!entry) return;
    for (const childId of entry.children) {
      const child = this.tokens.get(childId);
      if (child) child.parent = null;
    }
    entry.children.clear();
    for (const lease of [...entry.leases]) this.revokeLease(lease);
    this.tokens.delete(id);
    this.accessors.delete(entry.accessor);
    if (entry.parent) this.tokens.get(entry.parent)?.children.delete(id);
    this.ledger.tokenEnded(entry.accessor, this.now());
  }

  addLease(lease: LeaseEntry): void {
    this.leases.set(lease.id, lease);
    this.tokens.get(lease.tokenId)?.leases.add(lease.id);
    this.databaseUsers.set(lease.secret.username, {
      username: lease.secret.username,
      role: lease.secret.role,
      leaseId: lease.id,
      createdAt: lease.issueTime,
    });
    this.ledger.leaseCreated({
      ...lease,
      username: lease.secret.username,
      tokenAccessor: this.tokens.get(lease.tokenId)?.accessor ?? null,
    });
  }

  /** Revoking a database lease drops the user it created. Unknown ids are a no-op (expiration.go revokeCommon). */
  revokeLease(id: string, at = this.now()): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    this.leases.delete(id);
    this.tokens.get(lease.tokenId)?.leases.delete(id);
    this.databaseUsers.delete(lease.secret.username);
    this.ledger.leaseEnded(id, at);
  }

  /**
   * The id under which Vault's expiration manager keeps a token's own lease: `<creation path>/<hashed token>`.
   * revoke-prefix over `auth/...` works on these.
   */
  tokenLeaseId(entry: TokenEntry): string {
    return `${entry.path}/${createHash("sha256").update(entry.id).digest("hex").slice(0, 24)}`;
  }

  /** Revokes every lease (secret or token) under a prefix; an exact lease id without a trailing slash also works. */
  revokePrefix(prefix: string): number {
    if (!prefix.endsWith("/") && this.leases.has(prefix)) {
      this.revokeLease(prefix);
      return 1;
    }
    const dir = prefix.endsWith("/") ? prefix : `${prefix}/`;
    let count = 0;
    for (const id of [...this.leases.keys()]) {
      if (id.startsWith(dir)) {
        this.revokeLease(id);
        count++;
      }
    }
    for (const entry of [...this.tokens.values()]) {
      if (this.tokens.has(entry.id) && this.tokenLeaseId(entry).startsWith(dir)) {
        this.revokeToken(entry.id);
        count++;
      }
    }
    return count;
  }

  /** Expires tokens and leases whose time has come, as Vault's expiration manager does on its timers. */
  sweep(): void {
    const now = this.now();
    for (const entry of [...this.tokens.values()]) {
      if (entry.expireAt !== null && entry.expireAt <= now) this.revokeToken(entry.id, entry.expireAt);
    }
    for (const lease of [...this.leases.values()]) {
      if (lease.expireAt <= now) this.revokeLease(lease.id, lease.expireAt);
    }
  }

  /** The ledger as of now (expired credentials swept first), with whether each credential still works. */
  ledgerEntries(): { tokens: LedgerToken[]; leases: LedgerLease[] } {
    this.sweep();
    return this.ledger.entries({
      tokenExpiry: (accessor) => this.tokenByAccessor(accessor)?.expireAt,
      leaseExpiry: (leaseId) => {
        const lease = this.leases.get(leaseId);
        return lease && this.databaseUsers.has(lease.secret.username) ? lease.expireAt : undefined;
      },
    });
  }

  policyRules(names: readonly string[]): (readonly PolicyRule[])[] {
    const out: (readonly PolicyRule[])[] = [];
    for (const name of names) {
      const rules = this.policies.get(name);
      if (rules) out.push(rules);
    }
    return out;
  }
}
