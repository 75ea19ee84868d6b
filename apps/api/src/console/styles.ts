/** The console's whole stylesheet: inlined with the page's nonce, so the CSP needs no 'unsafe-inline'. */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1d2430; --muted: #5d6b7e; --line: #d6dbe3; --bg: #fff; --accent: #2456c7;
  --danger: #b3261e; --ok: #1e7b34; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ee; --muted: #9aa6b6; --line: #313a47; --bg: #12161c;
  --accent: #7aa2ff; --danger: #ff8a80; --ok: #7bd88f; --warn: #f0c36a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.2rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; }
header nav { display: flex; gap: 1rem; flex: 1; }
header .who { color: var(--muted); font-size: 12px; }
main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
h1 { font-size: 20px; margin: .2rem 0 1rem; }
h2 { font-size: 16px; margin: 1.6rem 0 .6rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
table.counts { width: auto; min-width: 32rem; margin-bottom: .5rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, monospace; font-size: 12.5px; word-break: break-all; }
h1.mono, h1 .mono, h2.mono { font-size: inherit; }
form.inline { display: inline; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: 12px; color: var(--muted); }
input, select, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; padding: .3rem .5rem; }
textarea { width: 100%; min-height: 8rem; font-family: ui-monospace, monospace; font-size: 12px; }
button { cursor: pointer; }
button.danger { border-color: var(--danger); color: var(--danger); font-weight: 600; }
button.primary { border-color: var(--accent); color: var(--accent); font-weight: 600; }
.state-active { color: var(--ok); }
.state-revoking, .state-pending { color: var(--warn); }
.state-revoke_failed, .outcome-failed, .outcome-denied { color: var(--danger); font-weight: 600; }
.outcome-warning { color: var(--warn); }
.muted { color: var(--muted); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: .6rem .8rem; margin: 1rem 0; }
.notice.error { border-left-color: var(--danger); }
.confirm { border: 1px solid var(--danger); border-radius: 6px; padding: 1rem; max-width: 60rem; }
.confirm .hits { font-size: 18px; font-weight: 700; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
progress { width: 24rem; height: 1rem; }
meter { width: 12rem; height: 1rem; vertical-align: middle; }
.full { color: var(--danger); }
.login { max-width: 44rem; }
`;
