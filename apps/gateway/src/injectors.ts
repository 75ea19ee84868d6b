import { type Clock, LeashError } from "@leash/core";
import {
  type AwsSession,
  awsSessionOf,
  type GatewayGrant,
  type LeaseCredentials,
  type LeaseForMint,
  type UpstreamAuth,
  type VaultKvReader,
  vaultTokenOf,
} from "@leash/providers";
import { encodeStrict } from "./decode.js";
import type { OutgoingRequest } from "./outgoing.js";
import { isSigV4Param, SIGV4_HEADERS, signSigV4 } from "./sigv4.js";

/**
 * A ranged answer shows a slice of what the upstream would send: an upstream that reflects the request (an echo,
 * an error quoting it) would hand the injected secret over a piece per request, and no scan recognises a piece.
 * Dropped (a server may ignore Range: the agent gets the whole answer) except on S3, which never reflects the
 * session's token and whose clients read ranges.
 */
const RANGE_HEADERS = ["range", "if-range"] as const;

/** How one upstream's credential reaches its requests. */
export interface Injector {
  /** Agent headers (lowercase) dropped: the credential goes there, or (Range) they could bring it back in pieces. */
  readonly reservedHeaders: ReadonlySet<string>;
  /** Whether an agent query parameter (decoded name) is dropped because the credential goes there. */
  reservedQuery(name: string): boolean;
  /** Whether paths and queries are re-encoded canonically (SigV4 signs exactly what is sent). */
  readonly canonicalEncoding: boolean;
  /**
   * Adds the credential; resolves with the secret values the agent must never see (for redaction): the same list
   * object for as long as the credential is the same, so what is built from it (the redactor, a compiled pattern)
   * is built once and released with the credential (forward.ts keys it weakly), never kept past the lease.
   */
  inject(out: OutgoingRequest, grant: GatewayGrant, signal: AbortSignal): Promise<readonly string[]>;
  /** What was minted for leases, when the injector mints per lease (to end them with their leases). */
  readonly perLease?: LeaseCredentials;
}

/** A secret that would split a header line or a query is refused before it is sent anywhere. */
function checkSendable(secret: string): string {
  if (!/^[\x20-\x7e]+$/.test(secret)) {
    throw new LeashError(
      "provider_rejected",
      "the upstream's secret holds characters other than printable ASCII: it cannot be sent in a header or query",
    );
  }
  return secret;
}

function leaseOf(grant: GatewayGrant): LeaseForMint {
  return {
    leaseId: grant.leaseId,
    taskId: grant.taskId,
    agent: grant.agent,
    action: grant.action,
    resource: grant.resource,
    issuedAt: grant.issuedAt,
    expiresAt: grant.expiresAt,
  };
}

type StaticAuth = Extract<UpstreamAuth, { type: "header" | "query" }>;

/** A static secret from Vault KV, in a header (`format` around it) or a query parameter. */
export function staticInjector(auth: StaticAuth, kv: VaultKvReader): Injector {
  const lower = auth.name.toLowerCase();
  // The secret changes only when rotated in Vault: its list is replaced then.
  let current: readonly [string] = [""];
  return {
    reservedHeaders: new Set([lower, ...RANGE_HEADERS]),
    // Some servers read query names case-insensitively: drop the agent's in any case.
    reservedQuery: (name) => name.toLowerCase() === lower,
    canonicalEncoding: false,
    async inject(out, _grant, signal) {
      const secret = checkSendable(await kv.read(auth.secret, signal));
      if (auth.type === "header") out.headers[lower] = auth.format.replace("{secret}", () => secret);
      else out.query.push(`${encodeStrict(auth.name)}=${encodeStrict(secret)}`);
      if (current[0] !== secret) current = [secret];
      return current;
    },
  };
}

/** A Vault token minted for the lease's intent on a vault target, as `X-Vault-Token`. */
export function vaultTokenInjector(credentials: LeaseCredentials): Injector {
  // Keyed by the minted credential (one per lease, dropped when the lease ends).
  const secrets = new WeakMap<object, readonly string[]>();
  return {
    reservedHeaders: new Set(["x-vault-token", ...RANGE_HEADERS]),
    reservedQuery: () => false,
    canonicalEncoding: false,
    perLease: credentials,
    async inject(out, grant, signal) {
      const credential = await credentials.get(leaseOf(grant), signal);
      const token = checkSendable(vaultTokenOf(credential));
      out.headers["x-vault-token"] = token;
      let list = secrets.get(credential);
      if (!list) {
        list = [token];
        secrets.set(credential, list);
      }
      return list;
    },
  };
}

/** The gateway signs with an STS session minted for the lease's intent; the agent's request is unsigned. */
export function sigV4Injector(
  credentials: LeaseCredentials,
  target: { service: string; region: string },
  clock: Clock,
): Injector {
  // Keyed by the minted credential, so a lease's requests share one session object (and its signer's key cache).
  const sessions = new WeakMap<object, { session: AwsSession; secrets: readonly string[] }>();
  return {
    reservedHeaders: target.service === "s3" ? SIGV4_HEADERS : new Set([...SIGV4_HEADERS, ...RANGE_HEADERS]),
    reservedQuery: isSigV4Param,
    canonicalEncoding: true,
    perLease: credentials,
    async inject(out, grant, signal) {
      const credential = await credentials.get(leaseOf(grant), signal);
      let entry = sessions.get(credential);
      if (!entry) {
        const session = awsSessionOf(credential);
        entry = { session, secrets: [session.sessionToken, session.secretAccessKey] };
        sessions.set(credential, entry);
      }
      await signSigV4(out, entry.session, target, clock.now());
      return entry.secrets;
    },
  };
}
