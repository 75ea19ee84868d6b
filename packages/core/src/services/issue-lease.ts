import type { WorkloadIdentity } from "../identity.js";
import type { BrokerDeps } from "./deps.js";
import { activate } from "./issue/activate.js";
import { auditIssued } from "./issue/audit.js";
import type { AwaitingApproval, Issued, IssueOptions, IssueRequest } from "./issue/context.js";
import { decide } from "./issue/decide.js";
import { load, ReadTaskAgain, readAgain } from "./issue/load.js";
import { mint } from "./issue/mint.js";
import { replay } from "./issue/replay.js";
import { verify } from "./issue/verify.js";
import { issuesInOneStep, writeActive } from "./issue/write-active.js";
import { writeAhead } from "./issue/write-ahead.js";

export type { AwaitingApproval, Issued, IssueOptions, IssueRequest } from "./issue/context.js";

/**
 * The issue flow of DESIGN.md, on an identity the API has verified: load the task, verify the intent against its
 * ceiling, decide (policy, step-up, TTL), write the lease ahead as `pending`, mint, activate (which schedules its
 * end), audit. A credential that only Leash's signature makes is signed first and recorded `active` in one step
 * instead (`writeActive`): nothing exists outside Leash before the answer leaves. Secrets leave through the return
 * value only.
 */
export async function issueLease(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  request: IssueRequest,
  idempotencyKey?: string,
  options: Omit<IssueOptions, "idempotencyKey"> = {},
): Promise<Issued | AwaitingApproval> {
  try {
    return await issueOnce(deps, caller, request, { ...options, idempotencyKey }, true);
  } catch (error) {
    // A cached task record could not serve (see ReadTaskAgain): once more, reading every level.
    if (!(error instanceof ReadTaskAgain)) throw error;
    return issueOnce(deps, caller, request, { ...options, idempotencyKey }, false);
  }
}

async function issueOnce(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  request: IssueRequest,
  options: IssueOptions,
  useCache: boolean,
): Promise<Issued | AwaitingApproval> {
  const context = { deps, caller, request, options, now: deps.clock.now() };
  const verified = await verify(await load(context, useCache ? deps.taskCache : undefined));
  // A lease that needs a break-glass grant is written ahead, whose checks after it trust the levels as read.
  if (verified.grant && verified.cached) readAgain(verified, "a break-glass lease reads its task");
  const decided = await decide(verified);
  if ("kind" in decided) return decided;
  if (!decided.earlier && issuesInOneStep(decided)) {
    const written = await writeActive(decided);
    if ("bodyHash" in written) return replay(decided, written);
    await auditIssued(decided);
    return { kind: "issued", lease: written.lease, credential: written.credential, replayed: false };
  }
  const earlier = decided.earlier ?? (await writeAhead(decided));
  if (earlier) return replay(decided, earlier);
  const minted = await mint(decided);
  const lease = await activate(decided, minted);
  await auditIssued(decided);
  return { kind: "issued", lease, credential: minted.credential, replayed: false };
}
