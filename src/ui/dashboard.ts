/**
 * @module
 * The dashboard page served at `/internal/ui/`: one self-contained HTML document (style and
 * script inline), part of the binary, so it needs no build step, no CDN and no files at
 * run time.
 */
import { DASHBOARD_JS } from "./dashboard_script.ts";
import { DASHBOARD_CSS } from "./dashboard_style.ts";

const tile = (id: string, label: string) =>
  `<div class="tile"><div class="label">${label}</div><div class="value" id="${id}">–</div></div>`;

const chart = (id: string, label: string) =>
  `<div><div class="chart-head"><span>${label}</span><span id="${id}-now"></span></div>` +
  `<svg class="chart" id="${id}" role="img" aria-label="${label}"></svg></div>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tureen</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header>
  <h1>Tureen</h1>
  <span class="meta" id="uptime"></span>
  <span class="meta" id="status">connecting…</span>
</header>
<main>
  <div class="tiles">
    ${tile("endpoints-up", "Endpoints up")}
    ${tile("rate", "Requests/s")}
    ${tile("p50", "Latency p50")}
    ${tile("p95", "Latency p95")}
    ${tile("tok-rate", "Out tokens/s")}
    ${tile("in-flight", "In flight / queued")}
    ${tile("requests", "Requests")}
    ${tile("tokens-in", "Tokens in")}
    ${tile("tokens-out", "Tokens out")}
  </div>
  <section>
    <h2>Traffic, last two minutes</h2>
    <div class="charts">
      ${chart("chart-rate", "Request rate")}
      ${chart("chart-tokens", "Output tokens/s")}
      ${chart("chart-p95", "Latency p95")}
    </div>
  </section>
  <section>
    <h2>Endpoints</h2>
    <div class="endpoints" id="endpoints"></div>
  </section>
  <section>
    <h2>Models</h2>
    <div class="scroll"><table>
      <thead><tr><th>Model</th><th class="num">Requests</th><th class="num">Req/s, 10 s</th><th class="num">p50</th>
      <th class="num">p95</th><th class="num">TTFT p50</th><th class="num">Tok/s p50</th><th class="num">Tokens in</th>
      <th class="num">Tokens out</th><th class="num">Out tok/s, 10 s</th></tr></thead>
      <tbody id="models"></tbody>
    </table></div>
  </section>
  <section>
    <h2>Last errors</h2>
    <div class="scroll"><table>
      <thead><tr><th>Time</th><th>Request id</th><th class="num">Status</th><th>Model</th><th>Endpoint</th></tr></thead>
      <tbody id="errors"></tbody>
    </table></div>
  </section>
</main>
<script>${DASHBOARD_JS}</script>
</body>
</html>
`;
