/**
 * @module
 * The dashboard's stylesheet: light and dark by the system setting, one column on a phone.
 */
export const DASHBOARD_CSS = String.raw`
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e4e7ec; --ok:#12b76a; --warn:#f79009;
  --bad:#f04438; --off:#98a2b3; --accent:#2e90fa; --accent2:#9e77ed; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg:#0f1115; --card:#181b22; --ink:#e6e8ec; --muted:#98a2b3;
  --line:#2a2f3a; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; padding:12px 16px; background:var(--card);
  border-bottom:1px solid var(--line); position:sticky; top:0; z-index:1; }
header h1 { font-size:18px; margin:0; }
header .meta { color:var(--muted); font-size:12px; }
main { padding:12px; display:grid; gap:12px; max-width:1400px; margin:0 auto; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px; min-width:0; }
section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 8px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit,minmax(112px,1fr)); gap:8px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 12px; }
.tile .label { color:var(--muted); font-size:12px; }
.tile .value { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(280px,1fr)); gap:12px; }
svg.chart { width:100%; height:90px; display:block; }
svg.chart .area { opacity:.15; }
svg.chart .grid { stroke:var(--line); stroke-width:1; }
.chart-head { display:flex; justify-content:space-between; color:var(--muted); font-size:12px; }
.endpoints { display:grid; grid-template-columns:repeat(auto-fill,minmax(260px,1fr)); gap:8px; }
.endpoint { border:1px solid var(--line); border-left:4px solid var(--off); border-radius:8px; padding:8px 10px; }
.endpoint[data-state=healthy] { border-left-color:var(--ok); }
.endpoint[data-state=busy] { border-left-color:var(--warn); }
.endpoint[data-state=unhealthy], .endpoint[data-state=offline] { border-left-color:var(--bad); }
.endpoint .top { display:flex; justify-content:space-between; gap:8px; align-items:baseline; }
.endpoint .name { font-weight:600; overflow-wrap:anywhere; }
.endpoint dl { display:grid; grid-template-columns:auto 1fr; gap:2px 10px; margin:6px 0 0; font-size:12px; }
.endpoint dt { color:var(--muted); }
.endpoint dd { margin:0; overflow-wrap:anywhere; }
.badge { font-size:11px; padding:1px 8px; border-radius:999px; color:#fff; background:var(--off); white-space:nowrap; }
.badge.healthy, .badge.closed { background:var(--ok); }
.badge.busy, .badge.half_open { background:var(--warn); }
.badge.unhealthy, .badge.offline, .badge.open, .badge.critical { background:var(--bad); }
.badge.degraded { background:var(--warn); }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--muted); font-weight:500; font-size:12px; }
td.num, th.num { text-align:right; }
td.msg { white-space:normal; color:var(--bad); padding-top:0; }
td.msg > div { max-width:calc(100vw - 72px); position:sticky; left:8px; }
tr.error-head td { border-bottom:none; }
code { font-size:12px; }
@media (max-width:600px) { main { padding:8px; gap:8px; } .tile { padding:6px 8px; } .tile .value { font-size:18px; }
  .tiles { grid-template-columns:repeat(3,1fr); } svg.chart { height:60px; } }
.empty { color:var(--muted); font-style:italic; }
.stale { color:var(--bad); }
`;
