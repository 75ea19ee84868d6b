import type { DeniedLease, PolicySetSnapshot, Reevaluation } from "@leash/core";
import { plural, when } from "../format.js";

export interface PoliciesProps {
  loaded: PolicySetSnapshot | undefined;
  runs: readonly Reevaluation[];
  csrf: string;
}

/**
 * The loaded policy set, a form to preview a change to one of its files before it is written (a dry run of the
 * re-evaluation it would bring), and the re-evaluations so far.
 */
export function PoliciesPage({ loaded, runs, csrf }: PoliciesProps) {
  if (!loaded)
    return (
      <>
        <h1>Policies</h1>
        <p class="muted">No policy set is loaded (LEASH_POLICY_DIR): only task ceilings apply.</p>
      </>
    );
  const names = Object.keys(loaded.files);
  return (
    <>
      <h1>Policies</h1>
      <p>
        Loaded set <span class="mono">{loaded.id}</span>:{" "}
        {names.map((n) => (
          <code>{n} </code>
        ))}
      </p>
      <h2>Preview a change</h2>
      <p class="muted">
        Every live lease is decided again with the loaded set where this file is replaced (or added, or
        removed when the text is empty), as the re-evaluation after writing it would. Nothing is loaded or
        revoked.
      </p>
      <form method="post" action="/console/policies/preview" id="preview">
        <input type="hidden" name="csrf" value={csrf} />
        <p>
          <label>
            File{" "}
            <input name="file" required list="policy-files" pattern="[A-Za-z0-9][A-Za-z0-9._-]*\.cedar" />
          </label>
          <datalist id="policy-files">
            {names.map((n) => (
              <option value={n} />
            ))}
          </datalist>
        </p>
        <p>
          <label>
            Cedar text
            <textarea name="text" rows={12} />
          </label>
        </p>
        <button type="submit" class="primary">
          Preview
        </button>
      </form>
      <h2>Re-evaluations</h2>
      <form method="post" action="/console/reevaluations">
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit" class="danger">
          Re-evaluate every live lease now
        </button>
      </form>
      <RunTable runs={runs} />
    </>
  );
}

function RunTable({ runs }: { runs: readonly Reevaluation[] }) {
  if (runs.length === 0) return <p class="muted">None yet.</p>;
  return (
    <table id="reevaluations">
      <thead>
        <tr>
          <th>Id</th>
          <th>Trigger</th>
          <th>By</th>
          <th>State</th>
          <th class="num">Checked</th>
          <th class="num">Denied</th>
          <th class="num">Revoked</th>
          <th>By policy</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr>
            <td class="mono">{r.id}</td>
            <td>{r.trigger}</td>
            <td class="mono">{r.requestedBy}</td>
            <td>{r.supersededBy ? `${r.state} (superseded)` : r.state}</td>
            <td class="num">{r.checked}</td>
            <td class="num">{r.denied}</td>
            <td class="num">{r.revoked}</td>
            <td>
              {Object.entries(r.byPolicy)
                .map(([p, n]) => `${p}: ${n}`)
                .join(", ")}
            </td>
            <td>{when(r.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface PreviewProps {
  file: string;
  removed: boolean;
  run: Reevaluation;
  sample: readonly DeniedLease[];
}

/** What writing the file would revoke: counts by policy, and the leases of a sample. */
export function PreviewPage({ file, removed, run, sample }: PreviewProps) {
  return (
    <>
      <h1>
        Preview: {removed ? "removing" : "writing"} <span class="mono">{file}</span>
      </h1>
      <div class="confirm">
        <p class="hits" id="hits">
          {run.denied === 0
            ? `No live lease would be revoked (${plural(run.checked, "live lease")} decided).`
            : `${plural(run.denied, "live lease")} of ${run.checked} would be revoked.`}
        </p>
        <p class="muted">
          Nothing was changed. Write the file to the policy directory to apply it: the reload re-evaluates the
          live leases and revokes these.
        </p>
      </div>
      {run.denied > 0 && (
        <>
          <h2>By policy</h2>
          <table class="counts" id="by-policy">
            <tbody>
              {Object.entries(run.byPolicy).map(([p, n]) => (
                <tr>
                  <td class="mono">{p}</td>
                  <td class="num">{n}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{sample.length < run.denied ? `${sample.length} of them` : "The leases"}</h2>
          <table id="sample">
            <thead>
              <tr>
                <th>Lease</th>
                <th>Agent</th>
                <th>Task</th>
                <th>Provider</th>
                <th>Intent</th>
                <th>Policies</th>
              </tr>
            </thead>
            <tbody>
              {sample.map((d) => (
                <tr>
                  <td class="mono">
                    <a href={`/console/lease?id=${encodeURIComponent(d.leaseId)}`}>{d.leaseId}</a>
                  </td>
                  <td class="mono">{d.agent}</td>
                  <td class="mono">{d.taskId}</td>
                  <td>{d.target ? `${d.provider}/${d.target}` : d.provider}</td>
                  <td class="mono">{`${String(d.intent.action)}:${String(d.intent.resource)}`}</td>
                  <td class="mono">{d.policies.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p>
        <a href="/console/policies">Back to policies</a>
      </p>
    </>
  );
}
