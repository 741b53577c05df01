/**
 * @module
 * The dashboard's script, sent inline. It polls `/internal/status/endpoints` and
 * `/internal/stats/traffic` every second, derives rates from the change between polls and
 * draws SVG sparklines by hand (no chart library, nothing fetched from elsewhere). Every
 * value from a backend goes in as text, never as HTML. Plain ES2020 in a string: no
 * template literals inside, so the surrounding String.raw stays intact.
 */
export const DASHBOARD_JS = String.raw`
(function () {
"use strict";
var POLL_MS = 1000;
var HISTORY = 120;
var series = { rate: [], tokens: [], p95: [] };
var RATE_WINDOW_MS = 10000;
var previous = null;
/** Recent snapshots of counters, to turn them into rates over the last ten seconds. */
var snapshots = [];

function el(tag, attrs, children) {
  var node = document.createElement(tag);
  if (attrs) for (var key in attrs) {
    if (attrs[key] === null || attrs[key] === undefined) continue;
    if (key === "text") node.textContent = String(attrs[key]);
    else node.setAttribute(key, String(attrs[key]));
  }
  (children || []).forEach(function (child) { if (child) node.appendChild(child); });
  return node;
}
function fmt(value, digits) {
  if (value === null || value === undefined || !isFinite(value)) return "–";
  if (Math.abs(value) >= 10000) return Math.round(value).toLocaleString();
  return Number(value).toFixed(digits === undefined ? 0 : digits);
}
function ms(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? fmt(value / 1000, 2) + " s" : fmt(value, 0) + " ms";
}
function ago(iso) {
  if (!iso) return "never";
  var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? s + " s ago" : Math.round(s / 60) + " min ago";
}
function push(series, value) {
  series.push(value);
  if (series.length > HISTORY) series.shift();
}
function setText(id, text) {
  var node = document.getElementById(id);
  if (node.textContent !== text) node.textContent = text;
}

function sparkline(svg, series, color) {
  var w = 300, h = 90;
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  svg.setAttribute("preserveAspectRatio", "none");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  var ns = "http://www.w3.org/2000/svg";
  [0.25, 0.5, 0.75].forEach(function (f) {
    var line = document.createElementNS(ns, "line");
    line.setAttribute("x1", "0"); line.setAttribute("x2", String(w));
    line.setAttribute("y1", String(h * f)); line.setAttribute("y2", String(h * f));
    line.setAttribute("class", "grid");
    svg.appendChild(line);
  });
  if (series.length < 2) return;
  var max = Math.max.apply(null, series.concat([1e-9]));
  var step = w / (HISTORY - 1);
  var offset = (HISTORY - series.length) * step;
  var points = series.map(function (v, i) {
    return (offset + i * step).toFixed(1) + "," + (h - 4 - (v / max) * (h - 8)).toFixed(1);
  });
  var area = document.createElementNS(ns, "polygon");
  area.setAttribute("points", offset.toFixed(1) + "," + h + " " + points.join(" ") + " " + w + "," + h);
  area.setAttribute("style", "fill:" + color); area.setAttribute("class", "area");
  var path = document.createElementNS(ns, "polyline");
  path.setAttribute("points", points.join(" "));
  path.setAttribute("style", "fill:none;stroke-width:2;stroke:" + color);
  path.setAttribute("vector-effect", "non-scaling-stroke");
  svg.appendChild(area); svg.appendChild(path);
}

function endpointCard(e) {
  var breaker = e.circuit_breaker ? e.circuit_breaker.state : "closed";
  var load = e.active_connections + (e.max_concurrent_requests ? " / " + e.max_concurrent_requests : "");
  var loaded = (e.loaded_models || []).join(", ") || "none";
  var loading = (e.loading_models || []).join(", ");
  var rows = [
    ["breaker", el("span", { "class": "badge " + breaker, text: breaker.replace("_", "-") })],
    ["load", el("span", { text: load + " in flight" })],
    ["loaded", el("span", { text: loaded })],
    loading ? ["loading", el("span", { text: loading })] : null,
    ["models", el("span", { text: String(e.model_count) })],
    ["requests", el("span", { text: e.request_count + (e.error_count ? " (" + e.error_count + " failed)" : "") })],
    ["p95", el("span", { text: ms(e.latency && e.latency.p95_ms) })],
    ["checked", el("span", { text: ago(e.health_check && e.health_check.last_check_at) })],
    e.issues && e.issues.length ? ["issue", el("span", { "class": "stale", text: e.issues[0] })] : null,
  ].filter(Boolean);
  var dl = el("dl", null, []);
  rows.forEach(function (row) { dl.appendChild(el("dt", { text: row[0] })); dl.appendChild(el("dd", null, [row[1]])); });
  return el("div", { "class": "endpoint", "data-endpoint": e.name, "data-state": e.status }, [
    el("div", { "class": "top" }, [
      el("span", { "class": "name", text: e.name }),
      el("span", { "class": "badge status " + e.status, text: e.status }),
    ]),
    el("div", { "class": "meta", text: e.url }),
    dl,
  ]);
}

function renderEndpoints(data) {
  var box = document.getElementById("endpoints");
  var cards = data.endpoints.map(endpointCard);
  box.replaceChildren.apply(box, cards.length ? cards : [el("p", { "class": "empty", text: "No endpoints configured" })]);
  setText("endpoints-up", data.routable_count + " / " + data.total_count);
}

/** Per-second rate of a counter over the snapshots kept (up to ten seconds). */
function rateOf(read) {
  if (snapshots.length < 2) return null;
  var first = snapshots[0], last = snapshots[snapshots.length - 1];
  var seconds = (last.at - first.at) / 1000;
  var before = read(first.data), now = read(last.data);
  if (seconds <= 0 || now === undefined) return null;
  return Math.max(0, (now - (before || 0)) / seconds);
}
function modelField(name, field) {
  return function (data) {
    var found = data.models.filter(function (m) { return m.name === name; })[0];
    return found ? found[field] : undefined;
  };
}

function renderModels(traffic) {
  var body = document.getElementById("models");
  var rows = traffic.models.map(function (m) {
    var rate = rateOf(modelField(m.name, "requests"));
    var tokRate = rateOf(modelField(m.name, "tokens_out"));
    return el("tr", { "data-model": m.name }, [
      el("td", { text: m.name }),
      el("td", { "class": "num", text: fmt(m.requests) }),
      el("td", { "class": "num", text: fmt(rate, 2) }),
      el("td", { "class": "num", text: ms(m.latency_p50_ms) }),
      el("td", { "class": "num", text: ms(m.latency_p95_ms) }),
      el("td", { "class": "num", text: ms(m.ttft_p50_ms) }),
      el("td", { "class": "num", text: fmt(m.tokens_per_second_p50, 1) }),
      el("td", { "class": "num tokens-in", text: fmt(m.tokens_in) }),
      el("td", { "class": "num tokens-out", text: fmt(m.tokens_out) }),
      el("td", { "class": "num", text: fmt(tokRate, 1) }),
    ]);
  });
  if (!rows.length) rows = [el("tr", null, [el("td", { colspan: 10, "class": "empty", text: "No requests yet" })])];
  body.replaceChildren.apply(body, rows);
}

function renderErrors(traffic) {
  var body = document.getElementById("errors");
  var rows = [];
  traffic.recent_errors.forEach(function (e) {
    rows.push(el("tr", { "class": "error-head" }, [
      el("td", { text: new Date(e.at).toLocaleTimeString() }),
      el("td", null, [el("code", { text: e.request_id })]),
      el("td", { "class": "num", text: String(e.status) }),
      el("td", { text: e.model || "–" }),
      el("td", { text: e.endpoint || "–" }),
    ]));
    rows.push(el("tr", null, [el("td", { colspan: 5, "class": "msg" }, [el("div", { text: e.message })])]));
  });
  if (!rows.length) rows = [el("tr", null, [el("td", { colspan: 5, "class": "empty", text: "No errors" })])];
  body.replaceChildren.apply(body, rows);
}

function renderTraffic(traffic) {
  var now = Date.parse(traffic.timestamp);
  var dt = previous ? (now - previous.at) / 1000 : 0;
  var rate = previous && dt > 0 ? (traffic.total_requests - previous.requests) / dt : 0;
  var tokRate = previous && dt > 0 ? (traffic.tokens_out - previous.tokensOut) / dt : 0;
  previous = { at: now, requests: traffic.total_requests, tokensOut: traffic.tokens_out };
  snapshots.push({ at: now, data: traffic });
  while (snapshots.length > 2 && now - snapshots[0].at > RATE_WINDOW_MS) snapshots.shift();
  push(series.rate, Math.max(0, rate));
  push(series.tokens, Math.max(0, tokRate));
  push(series.p95, traffic.latency_p95_ms || 0);
  setText("rate", fmt(rateOf(function (d) { return d.total_requests; }), 2));
  setText("tok-rate", fmt(rateOf(function (d) { return d.tokens_out; }), 1));
  setText("p50", ms(traffic.latency_p50_ms));
  setText("p95", ms(traffic.latency_p95_ms));
  setText("in-flight", fmt(traffic.requests_in_flight) + " / " + fmt(traffic.queue_depth));
  setText("requests", fmt(traffic.total_requests));
  setText("tokens-in", fmt(traffic.tokens_in));
  setText("tokens-out", fmt(traffic.tokens_out));
  setText("uptime", "up " + Math.round(traffic.uptime_seconds / 60) + " min");
  sparkline(document.getElementById("chart-rate"), series.rate, "var(--accent)");
  sparkline(document.getElementById("chart-tokens"), series.tokens, "var(--accent2)");
  sparkline(document.getElementById("chart-p95"), series.p95, "var(--warn)");
  setText("chart-rate-now", fmt(rate, 2) + " req/s");
  setText("chart-tokens-now", fmt(tokRate, 1) + " tok/s");
  setText("chart-p95-now", ms(traffic.latency_p95_ms));
  renderModels(traffic);
  renderErrors(traffic);
}

function getJson(path) {
  return fetch(path, { cache: "no-store" }).then(function (res) {
    if (!res.ok) throw new Error(path + " answered " + res.status);
    return res.json();
  });
}

function poll() {
  Promise.all([getJson("../status/endpoints"), getJson("../stats/traffic")]).then(function (both) {
    renderEndpoints(both[0]);
    renderTraffic(both[1]);
    var status = document.getElementById("status");
    status.className = "meta";
    status.textContent = "updated " + new Date().toLocaleTimeString();
    document.body.setAttribute("data-polls", String(Number(document.body.getAttribute("data-polls") || 0) + 1));
  }, function (error) {
    var status = document.getElementById("status");
    status.className = "meta stale";
    status.textContent = "cannot reach Tureen: " + error.message;
  }).then(function () { setTimeout(poll, POLL_MS); });
}
poll();
})();
`;
