import { createHash } from "node:crypto";
import type { MintRequest } from "@leash/core";
import { LeashError } from "@leash/core";

/** RoleSessionName and SourceIdentity: 2-64 of [\w+=,.@-] (STS Smithy model). */
const NAME = /^[\w+=,.@-]{2,64}$/;
/** Session tag keys and values: letters, spaces, digits and _ . : / = + - @ (STS Smithy model, `Tag`). */
const TAG_OUTSIDE = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

const digest = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 8);

/**
 * Fits a value into `max` characters; when it has to cut, it keeps a hash of the whole value so that two long
 * values that share a beginning still differ.
 */
function fit(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max - 9)}-${digest(value)}`;
}

/** A session tag value: characters outside the tag charset become `_`, at most 256 characters. */
export function tagValue(value: string): string {
  return fit(value.replace(TAG_OUTSIDE, "_"), 256);
}

/** SourceIdentity for an agent (a SPIFFE ID or a subject): [\w+=,.@-] only, 2-64 characters. */
export function sourceIdentityOf(agent: string): string {
  const cleaned = agent.replace(/[^\w+=,.@-]/g, "_");
  return fit(cleaned.length >= 2 ? cleaned : `${cleaned}__`.slice(0, 2), 64);
}

/** The lease id is the RoleSessionName, so `aws:userid` names the lease; Leash ids always fit. */
export function sessionNameOf(leaseId: string): string {
  if (!NAME.test(leaseId)) {
    throw new LeashError(
      "provider_rejected",
      `aws-sts: lease id '${leaseId}' cannot be an STS RoleSessionName`,
    );
  }
  return leaseId;
}

export function sessionTags(request: MintRequest): { Key: string; Value: string }[] {
  return [
    { Key: "leash:lease", Value: tagValue(request.leaseId) },
    { Key: "leash:task", Value: tagValue(request.taskId) },
    { Key: "leash:agent", Value: tagValue(request.agent) },
  ];
}
