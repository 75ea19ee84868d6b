import { type Lease, LIVE_STATES } from "@leash/core";

/** Live leases counted by provider (rows) and state (columns), in one pass. */
export function CountsByProviderAndState({ leases }: { leases: readonly Lease[] }) {
  const cells = new Map<string, number>();
  const bump = (key: string) => cells.set(key, (cells.get(key) ?? 0) + 1);
  for (const l of leases) {
    bump(`${l.provider}|${l.state}`);
    bump(`${l.provider}|`);
    bump(`|${l.state}`);
  }
  const providers = [...new Set(leases.map((l) => l.provider))].sort();
  const cell = (provider: string, state: string) => cells.get(`${provider}|${state}`) ?? 0;
  return (
    <table class="counts">
      <thead>
        <tr>
          <th>Provider</th>
          {LIVE_STATES.map((s) => (
            <th class="num">{s}</th>
          ))}
          <th class="num">live</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => (
          <tr data-provider={p}>
            <td>{p}</td>
            {LIVE_STATES.map((s) => (
              <td class="num">{cell(p, s)}</td>
            ))}
            <td class="num">{cell(p, "")}</td>
          </tr>
        ))}
        <tr>
          <td>
            <strong>all</strong>
          </td>
          {LIVE_STATES.map((s) => (
            <td class="num">{cell("", s)}</td>
          ))}
          <td class="num" id="total-live">
            <strong>{leases.length}</strong>
          </td>
        </tr>
      </tbody>
    </table>
  );
}
