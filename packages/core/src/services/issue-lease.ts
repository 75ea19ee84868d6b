import type { WorkloadIdentity } from "../identity.js";
import type { BrokerDeps } from "./deps.js";
import { activate } from "./issue/activate.js";
import { auditIssued } from "./issue/audit.js";
import type { AwaitingApproval, Issued, IssueOptions, IssueRequest } from "./issue/context.js";
import { decide } from "./issue/decide.js";
import { load } from "./issue/load.js";
import { mint } from "./issue/mint.js";
import { replay } from "./issue/replay.js";
import { verify } from "./issue/verify.js";
import { writeAhead } from "./issue/write-ahead.js";

export type { AwaitingApproval, Issued, IssueOptions, IssueRequest } from "./issue/context.js";

/**
 * The issue flow of DESIGN.md, on an identity the API has verified: load the task, verify the intent against its
 * ceiling, decide (policy, step-up, TTL), write the lease ahead as `pending`, mint, activate (which schedules its
 * end), audit. Secrets leave through the return value only.
 */
export async function issueLease(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  request: IssueRequest,
  idempotencyKey?: string,
  options: Omit<IssueOptions, "idempotencyKey"> = {},
): Promise<Issued | AwaitingApproval> {
  const context = { deps, caller, request, options: { ...options, idempotencyKey }, now: deps.clock.now() };
  const verified = await verify(await load(context));
  const decided = await decide(verified);
  if ("kind" in decided) return decided;
  const earlier = decided.earlier ?? (await writeAhead(decided));
  if (earlier) return replay(decided, earlier);
  const minted = await mint(decided);
  const lease = await activate(decided, minted);
  await auditIssued(decided);
  return { kind: "issued", lease, credential: minted.credential, replayed: false };
}
