import { IAMClient } from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  STSClient,
  type STSClientConfig,
} from "@aws-sdk/client-sts";
import type {
  Clock,
  CredentialProvider,
  MintedCredential,
  MintRequest,
  RevokeOutcome,
  RevokeRequest,
} from "@leash/core";
import { LeashError, systemClock } from "@leash/core";
import { z } from "zod";
import {
  type AwsStsProviderConfig,
  type AwsStsTarget,
  AwsStsProviderConfig as ConfigSchema,
  roleNameOf,
} from "./config.js";
import { DenyList } from "./deny-list.js";
import { isTransient, toLeashError } from "./errors.js";
import { createIamCalls } from "./iam-calls.js";
import { withRetry } from "./retry.js";
import { sessionNameOf, sessionTags, sourceIdentityOf } from "./session-identity.js";
import { compileSessionPolicy } from "./session-policy.js";

export interface AwsStsProviderDeps {
  /** Leash's own AWS credentials; the SDK's default provider chain when absent. */
  credentials?: STSClientConfig["credentials"];
  clock?: Clock;
  sts?: STSClient;
  iam?: IAMClient;
  random?: () => number;
}

/** What revoke() needs later: identifiers and times only, never the secret or the session token. */
const Handle = z.object({
  role_arn: z.string(),
  role_id: z.string(),
  session_name: z.string(),
  access_key_id: z.string(),
  /** Epoch seconds by AWS's clock: Expiration minus DurationSeconds. */
  issued_at: z.number().int(),
  expires_at: z.number().int(),
});

/** STS issues nothing shorter (AssumeRole DurationSeconds minimum); shorter leases end by early revocation. */
const MIN_DURATION = 900;

export interface AwsStsProvider extends CredentialProvider {
  /** Closes the pooled connections of the SDK clients this provider created (not injected ones). */
  close(): void;
}

/**
 * Credentials from `sts:AssumeRole` on a configured role, scoped by an inline session policy compiled from the
 * intent, tagged with the lease, task and agent, and revoked early with inline deny policies on the role.
 */
export function createAwsStsProvider(
  input: AwsStsProviderConfig,
  deps: AwsStsProviderDeps = {},
): AwsStsProvider {
  const config = ConfigSchema.parse(input);
  const clock = deps.clock ?? systemClock;
  const timeoutMs = config.request_timeout_ms;
  const skewMs = config.clock_skew_seconds * 1000;
  const requestHandler = { requestTimeout: timeoutMs, connectionTimeout: timeoutMs };
  const credentials = deps.credentials;
  const sts =
    deps.sts ??
    new STSClient({
      region: config.region,
      endpoint: config.endpoint,
      credentials,
      maxAttempts: 1,
      requestHandler,
    });
  const iamClient =
    deps.iam ??
    new IAMClient({
      region: config.iam_region,
      endpoint: config.iam_endpoint,
      credentials,
      maxAttempts: 1,
      requestHandler,
    });
  const iam = createIamCalls(iamClient, timeoutMs);
  const denyList = new DenyList(iam, { now: () => clock.now(), skewMs });
  // A lease is written before its mint starts, and its AWS issue time can follow by a whole mint (every attempt)
  // plus the clock difference: leases that recent are not reported as cut, so none is reported dead while alive.
  const cutMarginMs = skewMs + timeoutMs * (config.mint_attempts + 1);
  const byArn = new Map(Object.values(config.targets).map((t) => [t.role_arn, t]));

  function findTarget(target: string | null | undefined): AwsStsTarget | undefined {
    if (target === undefined || target === null) return undefined;
    return (Object.hasOwn(config.targets, target) ? config.targets[target] : undefined) ?? byArn.get(target);
  }

  function resolve(target: string | null | undefined): AwsStsTarget {
    const found = findTarget(target);
    if (!found) {
      throw new LeashError(
        "unknown_target",
        `aws-sts: unknown target '${target ?? ""}' (configured: ${Object.keys(config.targets).join(", ")})`,
      );
    }
    return found;
  }

  function outcome(cutSec: number | undefined, target: string): RevokeOutcome {
    return cutSec === undefined ? {} : { cut: { target, issuedBefore: cutSec * 1000 - cutMarginMs } };
  }

  /** Without a handle the session name is still the lease id, so the deny needs only the role's id. */
  async function denyByLeaseId(request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome> {
    const target = resolve(request.target);
    const roleName = roleNameOf(target.role_arn);
    const roleId = await iam.roleId(roleName, signal);
    if (roleId === undefined) return {}; // The role is gone, and its sessions with it.
    // Upper bounds: a session minted for this lease was issued before now and ends within the role's maximum.
    const nowSec = Math.ceil(clock.now() / 1000);
    const entry = {
      issuedSec: nowSec,
      expiresSec: nowSec + target.max_session_seconds,
      sessionName: sessionNameOf(request.leaseId),
    };
    return outcome(await denyList.deny(roleName, roleId, entry, signal), request.target ?? target.role_arn);
  }

  const expired = (request: RevokeRequest) =>
    request.providerExpiresAt !== null && request.providerExpiresAt + skewMs <= clock.now();

  return {
    name: "aws-sts",
    maxTtlSeconds: (target) => findTarget(target)?.max_session_seconds,
    validate(target, intent) {
      compileSessionPolicy(resolve(target), intent);
    },

    async mint(request: MintRequest, signal: AbortSignal): Promise<MintedCredential> {
      const target = resolve(request.target);
      const compiled = compileSessionPolicy(target, request.intent, request.scopeHints);
      const sessionName = sessionNameOf(request.leaseId);
      const duration = Math.min(
        Math.max(MIN_DURATION, Math.ceil(request.ttlSeconds)),
        target.max_session_seconds,
      );
      const input = {
        RoleArn: target.role_arn,
        RoleSessionName: sessionName,
        DurationSeconds: duration,
        Policy: compiled.policy,
        Tags: sessionTags(request),
        SourceIdentity: sourceIdentityOf(request.agent),
      };
      let out: AssumeRoleCommandOutput;
      try {
        out = await withRetry(
          () =>
            sts.send(new AssumeRoleCommand(input), {
              abortSignal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
            }),
          { attempts: config.mint_attempts, signal, retryable: isTransient, random: deps.random },
        );
      } catch (error) {
        throw toLeashError(error, "sts:AssumeRole");
      }
      const c = out.Credentials;
      const roleId = out.AssumedRoleUser?.AssumedRoleId?.split(":")[0];
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration || !roleId) {
        // A session may exist: retry, so that the caller reclaims it by lease id.
        throw new LeashError(
          "provider_unavailable",
          "aws-sts: sts:AssumeRole returned an incomplete response",
          {
            retry: true,
          },
        );
      }
      const expiresAt = c.Expiration.getTime();
      const expiresSec = Math.floor(expiresAt / 1000);
      return {
        credential: {
          access_key_id: c.AccessKeyId,
          secret_access_key: c.SecretAccessKey,
          session_token: c.SessionToken,
          expiration: c.Expiration.toISOString(),
        },
        handle: {
          role_arn: target.role_arn,
          role_id: roleId,
          session_name: sessionName,
          access_key_id: c.AccessKeyId,
          issued_at: expiresSec - duration,
          expires_at: expiresSec,
        },
        providerExpiresAt: expiresAt,
        scope: compiled.scope,
      };
    },

    async revoke(request, signal) {
      if (expired(request)) return {};
      const parsed = Handle.safeParse(request.handle);
      if (!parsed.success) return denyByLeaseId(request, signal);
      const h = parsed.data;
      const entry = { issuedSec: h.issued_at, expiresSec: h.expires_at, sessionName: h.session_name };
      const cutSec = await denyList.deny(roleNameOf(h.role_arn), h.role_id, entry, signal);
      return outcome(cutSec, request.target ?? h.role_arn);
    },

    async reclaim(request, signal) {
      if (expired(request)) return;
      // The outcome of a reclaim's own cut cannot be reported (the port returns nothing): those leases then
      // fail at AWS before Leash ends them, which errs on the closed side.
      await denyByLeaseId(request, signal);
    },

    async cutTarget(cut, signal) {
      const target = resolve(cut.target);
      // Reach past the instant by the clock difference: a session AWS dated a little later is cut too.
      await denyList.cut(roleNameOf(target.role_arn), Math.ceil((cut.issuedBefore + skewMs) / 1000), signal);
      return true;
    },

    close() {
      if (!deps.sts) sts.destroy();
      if (!deps.iam) iamClient.destroy();
    },

    async prune(now, signal) {
      const failures: unknown[] = [];
      for (const target of Object.values(config.targets)) {
        await denyList
          .prune(roleNameOf(target.role_arn), signal, { now })
          .catch((e: unknown) => failures.push(e));
      }
      if (failures.length > 0) throw toLeashError(failures[0], "iam:prune");
    },
  };
}
