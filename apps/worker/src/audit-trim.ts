import { checkpointSigner, SigningKeyFile } from "@leash/providers";
import type { CheckpointSigner, OpenedStore, Store } from "@leash/store";
import type { WorkerContext } from "./context.js";

/**
 * Applies the audit retention: events older than LEASH_AUDIT_RETENTION_SECONDS go, behind a checkpoint signed with
 * Leash's signing key so `GET /v1/audit/verify` still proves the rest. The trim is itself an audited event.
 */
export function auditTrimmer(ctx: WorkerContext, audit: Store["audit"]) {
  const signer = checkpointSigner(new SigningKeyFile(ctx.env.LEASH_SIGNING_KEY_FILE));
  return async function trimAuditNow(): Promise<Record<string, unknown>> {
    const retention = ctx.env.LEASH_AUDIT_RETENTION_SECONDS;
    if (retention === 0) return { skipped: "retention is unlimited" };
    const before = ctx.clock.now() - retention * 1000;
    const result = await audit.trim(signer, before);
    if ("refused" in result) {
      ctx.logger.error({ reason: result.refused }, "audit trim refused");
      await audit.append({
        type: "audit.trim_refused",
        actor: null,
        outcome: "failed",
        detail: { reason: result.refused },
      });
      return result;
    }
    if (result.trimmed > 0) {
      ctx.logger.info({ trimmed: result.trimmed, first_kept: result.firstKept }, "audit trail trimmed");
      await audit.append({
        type: "audit.trimmed",
        actor: null,
        outcome: "ok",
        detail: {
          trimmed: result.trimmed,
          first_kept: result.firstKept,
          before: new Date(before).toISOString(),
        },
      });
    }
    return result;
  };
}

/**
 * With several shards, each keeps its own audit chain: at intervals every chain's head is recorded in an anchor on
 * shard 0, signed and linked to the one before, so verification proves the chains together (README "Beyond one
 * Redis"). Another worker's anchor landing first is as good.
 */
export function auditAnchorer(ctx: WorkerContext, anchor: OpenedStore["anchor"], signer: CheckpointSigner) {
  return async function anchorNow(): Promise<Record<string, unknown>> {
    return { anchored: await anchor(signer, ctx.clock.now()) };
  };
}
