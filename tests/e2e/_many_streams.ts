/**
 * Client for concurrency_test.ts, run as its own process so that its fetch cap is raised
 * (Bun reads BUN_CONFIG_MAX_HTTP_REQUESTS only at start): `bun _many_streams.ts URL COUNT`.
 */
const [url, count] = [Bun.argv[2]!, Number(Bun.argv[3])];
const results = await Promise.all(Array.from({ length: count }, () =>
  fetch(url, { method: "POST", body: JSON.stringify({ model: "smollm2", messages: [], stream: true }) })
    .then(async (r) => ({ status: r.status, text: await r.text() }))
    .catch((error) => ({ status: 0, text: String(error) }))
));
const failed = results.filter((r) => r.status !== 200 || !r.text.endsWith("data: [DONE]\n\n"));
console.log(JSON.stringify({ ok: results.length - failed.length, failed: failed.slice(0, 3) }));
