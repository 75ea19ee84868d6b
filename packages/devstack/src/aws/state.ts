import { createHash, randomBytes } from "node:crypto";
import { AwsError } from "./errors.js";
import { SessionLedger } from "./ledger.js";
import type { AccessKeyPair, BucketSpec } from "./options.js";
import { RoleSpec } from "./options.js";
import { type PolicyDocument, PolicyError, parsePolicy, policySizeChars } from "./policy-document.js";

/** A role's inline policies together may hold this many characters, whitespace not counted (IAM quotas). */
export const INLINE_ROLE_POLICY_LIMIT = 10_240;

export interface StoredPolicy {
  text: string;
  doc: PolicyDocument;
}

export interface RoleRecord {
  name: string;
  id: string;
  arn: string;
  createdAt: number;
  maxSessionDuration: number;
  trust: StoredPolicy;
  attached: Map<string, StoredPolicy>;
  inline: Map<string, StoredPolicy>;
}

export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  issuedAt: number;
  expiresAt: number;
  policy: StoredPolicy | undefined;
  tags: Record<string, string>;
  sourceIdentity: string | undefined;
}

/** What tests and tooling may see of a session: no secret, no token. */
export interface SessionInfo {
  accessKeyId: string;
  roleName: string;
  sessionName: string;
  issuedAt: number;
  expiresAt: number;
  sessionPolicy: string | undefined;
  tags: Record<string, string>;
  sourceIdentity: string | undefined;
}

export interface S3Object {
  body: Buffer;
  contentType: string;
  lastModified: number;
  etag: string;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function randomId(prefix: string, length: number): string {
  let out = prefix;
  for (const b of randomBytes(length)) out += UPPER[b % UPPER.length];
  return out;
}

const secret = () => randomBytes(30).toString("base64");

function storedPolicy(text: string, kind: "identity" | "trust"): StoredPolicy {
  return { text, doc: parsePolicy(text, kind) };
}

export class AwsState {
  readonly roles = new Map<string, RoleRecord>();
  readonly buckets = new Map<string, Map<string, S3Object>>();
  private readonly sessionsByKey = new Map<string, SessionRecord>();
  /** When each session stopped working, for tests that judge revocation from outside. */
  readonly ledger: SessionLedger = new SessionLedger(this);

  constructor(
    readonly accountId: string,
    readonly root: AccessKeyPair,
    readonly now: () => number,
  ) {}

  get rootArn(): string {
    return `arn:aws:iam::${this.accountId}:user/admin`;
  }

  roleArn(name: string): string {
    return `arn:aws:iam::${this.accountId}:role/${name}`;
  }

  /** Creates or updates a role; an update keeps its id and inline policies, as UpdateRole would. */
  putRole(input: RoleSpec): RoleRecord {
    const spec = RoleSpec.parse(input);
    const defaultTrust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
          Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        },
      ],
    });
    const attached = new Map<string, StoredPolicy>();
    for (const [name, text] of Object.entries(spec.policies))
      attached.set(name, storedPolicy(text, "identity"));
    const existing = this.roles.get(spec.name);
    const role: RoleRecord = {
      name: spec.name,
      id: existing?.id ?? randomId("AROA", 17),
      arn: this.roleArn(spec.name),
      createdAt: existing?.createdAt ?? this.now(),
      maxSessionDuration: spec.maxSessionDuration,
      trust: storedPolicy(spec.trust ?? defaultTrust, "trust"),
      attached,
      inline: existing?.inline ?? new Map(),
    };
    this.roles.set(role.name, role);
    return role;
  }

  role(name: string): RoleRecord {
    const role = this.roles.get(name);
    if (!role) throw new AwsError("NoSuchEntity", 404, `The role with name ${name} cannot be found.`);
    return role;
  }

  inlineChars(role: RoleRecord): number {
    let total = 0;
    for (const p of role.inline.values()) total += policySizeChars(p.text);
    return total;
  }

  /** PutRolePolicy: a same-name put replaces, and the quota is checked on the result. */
  putInlinePolicy(roleName: string, policyName: string, text: string): void {
    const role = this.role(roleName);
    let stored: StoredPolicy;
    try {
      stored = storedPolicy(text, "identity");
    } catch (error) {
      if (error instanceof PolicyError) throw new AwsError("MalformedPolicyDocument", 400, error.message);
      throw error;
    }
    const previous = role.inline.get(policyName);
    const after =
      this.inlineChars(role) - (previous ? policySizeChars(previous.text) : 0) + policySizeChars(text);
    if (after > INLINE_ROLE_POLICY_LIMIT) {
      throw new AwsError(
        "LimitExceeded",
        409,
        `Maximum policy size of ${INLINE_ROLE_POLICY_LIMIT} bytes exceeded for role ${roleName}`,
      );
    }
    role.inline.set(policyName, stored);
    this.ledger.policyPut(roleName, stored.doc);
  }

  inlinePolicy(roleName: string, policyName: string): StoredPolicy {
    const policy = this.role(roleName).inline.get(policyName);
    if (!policy) {
      throw new AwsError("NoSuchEntity", 404, `The role policy with name ${policyName} cannot be found.`);
    }
    return policy;
  }

  deleteInlinePolicy(roleName: string, policyName: string): void {
    this.inlinePolicy(roleName, policyName);
    this.role(roleName).inline.delete(policyName);
  }

  createSession(
    fields: Omit<SessionRecord, "accessKeyId" | "secretAccessKey" | "sessionToken">,
  ): SessionRecord {
    const session: SessionRecord = {
      ...fields,
      accessKeyId: randomId("ASIA", 16),
      secretAccessKey: secret(),
      // Real session tokens are long opaque blobs of varying size; so is this one.
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(240).toString("base64")}`,
    };
    this.sessionsByKey.set(session.accessKeyId, session);
    return session;
  }

  session(accessKeyId: string): SessionRecord | undefined {
    return this.sessionsByKey.get(accessKeyId);
  }

  sessionRecords(): SessionRecord[] {
    return [...this.sessionsByKey.values()];
  }

  sessions(): SessionInfo[] {
    return [...this.sessionsByKey.values()].map((s) => ({
      accessKeyId: s.accessKeyId,
      roleName: s.roleName,
      sessionName: s.sessionName,
      issuedAt: s.issuedAt,
      expiresAt: s.expiresAt,
      sessionPolicy: s.policy?.text,
      tags: { ...s.tags },
      sourceIdentity: s.sourceIdentity,
    }));
  }

  putBucket(spec: BucketSpec): void {
    const name = typeof spec === "string" ? spec : spec.name;
    const bucket = this.buckets.get(name) ?? new Map<string, S3Object>();
    this.buckets.set(name, bucket);
    if (typeof spec === "string") return;
    for (const [key, content] of Object.entries(spec.objects ?? {})) {
      this.putObject(name, key, Buffer.from(content), "text/plain");
    }
  }

  putObject(bucket: string, key: string, body: Buffer, contentType: string): S3Object {
    const object: S3Object = {
      body,
      contentType,
      lastModified: this.now(),
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
    };
    this.buckets.get(bucket)?.set(key, object);
    return object;
  }
}

export function newRootKeys(): AccessKeyPair {
  return { accessKeyId: randomId("AKIA", 16), secretAccessKey: secret() };
}
