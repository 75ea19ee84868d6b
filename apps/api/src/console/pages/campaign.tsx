import type { Campaign } from "@leash/core";
import { raw } from "hono/html";
import { agentHref } from "../components/lease-table.js";
import { when } from "../format.js";

/**
 * Polls the campaign's progress until every lease is revoked (a `failed` campaign still has leases being retried). The script is a constant (the URL comes from a data attribute, not
 * from string building), and runs only because it carries the response's CSP nonce.
 */
const POLL = `
(() => {
  const box = document.getElementById("progress");
  if (!box || box.dataset.state === "done") return;
  const tick = async () => {
    try {
      const res = await fetch(box.dataset.src, { credentials: "same-origin", cache: "no-store" });
      if (res.ok) {
        const p = await res.json();
        for (const k of ["matched", "revoked", "failed", "state"]) {
          const el = document.getElementById("campaign-" + k);
          if (el) el.textContent = String(p[k]);
        }
        const bar = document.getElementById("campaign-bar");
        if (bar) { bar.max = Math.max(p.matched, 1); bar.value = p.matched === 0 ? 1 : p.revoked; }
        if (p.state === "done") return;
      }
    } catch {}
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 500);
})();
`;

export function CampaignPage({ campaign, nonce }: { campaign: Campaign; nonce: string }) {
  const agent = campaign.selector.agent;
  return (
    <>
      <h1 class="mono">Revocation {campaign.id}</h1>
      <div
        id="progress"
        data-state={campaign.state}
        data-src={`/console/campaigns/${encodeURIComponent(campaign.id)}/progress`}
      >
        <p>
          <progress
            id="campaign-bar"
            max={Math.max(campaign.matched, 1)}
            value={campaign.matched === 0 ? 1 : campaign.revoked}
          />
        </p>
        <p>
          <strong id="campaign-revoked">{campaign.revoked}</strong> of{" "}
          <strong id="campaign-matched">{campaign.matched}</strong> revoked ·{" "}
          <span id="campaign-failed">{campaign.failed}</span> failing (retried until revoked) · state{" "}
          <strong id="campaign-state">{campaign.state}</strong>
        </p>
      </div>
      <dl class="facts">
        <dt>Ordered by</dt>
        <dd class="mono">{campaign.requestedBy}</dd>
        <dt>At</dt>
        <dd>{when(campaign.createdAt)}</dd>
        <dt>Reason</dt>
        <dd>{campaign.reason}</dd>
        <dt>Selector</dt>
        <dd class="mono">{JSON.stringify(campaign.selector)}</dd>
      </dl>
      {agent && (
        <p>
          <a href={agentHref(agent)}>The agent's exposure now</a>
        </p>
      )}
      <script nonce={nonce}>{raw(POLL)}</script>
    </>
  );
}
