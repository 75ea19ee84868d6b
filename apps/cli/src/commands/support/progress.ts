import type { Revocation } from "@leash/sdk";
import { duration } from "./format.js";
import type { Paint } from "./io.js";

/** One line of campaign progress: bar, revoked / matched, rate, failures, elapsed. Pure, for the tests. */
export function progressLine(campaign: Revocation, elapsedMs: number, width = 30, p?: Paint): string {
  const done = campaign.revoked + campaign.failed;
  const ratio = campaign.matched === 0 ? 1 : Math.min(1, done / campaign.matched);
  const filled = Math.round(ratio * width);
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  const rate = elapsedMs > 0 ? Math.round((campaign.revoked * 1000) / elapsedMs) : 0;
  const failed =
    campaign.failed > 0 ? `  ${p ? p.red(`${campaign.failed} failed`) : `${campaign.failed} failed`}` : "";
  return `[${bar}] ${campaign.revoked}/${campaign.matched} revoked  ${rate}/s${failed}  ${duration(elapsedMs)}`;
}

export interface ProgressView {
  update(campaign: Revocation): void;
  /** Leaves the last line in place. */
  end(): void;
}

/**
 * On a terminal: one line redrawn in place. Elsewhere (CI logs): a plain line at most once per `logEveryMs`,
 * and only when something moved, so logs stay short.
 */
export function progressView(
  stream: NodeJS.WriteStream,
  p: Paint,
  now: () => number = Date.now,
  logEveryMs = 1_000,
): ProgressView {
  const started = now();
  const tty = stream.isTTY === true;
  let lastLogged = Number.NEGATIVE_INFINITY;
  let lastCount = -1;
  let drawn = false;
  return {
    update(campaign) {
      const line = progressLine(campaign, now() - started, 30, p);
      if (tty) {
        stream.write(`\r\u001b[2K${line}`);
        drawn = true;
        return;
      }
      const count = campaign.revoked + campaign.failed;
      const final = campaign.state !== "running";
      if ((count !== lastCount && now() - lastLogged >= logEveryMs) || (final && count !== lastCount)) {
        stream.write(`${line}\n`);
        lastLogged = now();
        lastCount = count;
      }
    },
    end() {
      if (tty && drawn) stream.write("\n");
    },
  };
}
