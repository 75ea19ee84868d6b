import type { QuotaStanding } from "@leash/core";
import { QuotaTable, standingRows } from "../components/quota-table.js";

/** Every trust-file quota against its limits (tasks show their own quota on their page). */
export function QuotasPage({ standings }: { standings: readonly QuotaStanding[] }) {
  return (
    <>
      <h1>Quotas</h1>
      <p class="muted">
        From the trust file. A per-agent quota shows the total over its agents here; an agent's own usage is
        on its exposure page. Tasks show their own quota on their page.
      </p>
      <QuotaTable rows={standingRows(standings, true)} />
    </>
  );
}
