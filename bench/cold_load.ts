/**
 * Manual check that a cold load longer than Bun's default 5-minute fetch timeout is waited
 * for: the DMR emulator holds the first request silent for LOAD_S seconds (default 320),
 * the proxy (TUREEN_TEST_RUNTIME=bun|deno|binary) must still relay the stream.
 *
 *   bun bench/cold_load.ts            # about 5.5 minutes; prints status, seconds, whether [DONE] arrived
 */
import { startDmr } from "../tests/emulators/dmr.ts";
import { dmrConfig, startServer } from "../tests/_server.ts";

const loadSeconds = Number(process.env.LOAD_S ?? 320);
const dmr = await startDmr({ loadDelayMs: loadSeconds * 1000 });
const server = await startServer(dmrConfig([{ url: dmr.url, name: "dmr" }], { logging: { level: "info" } }));
const started = performance.now();
try {
  const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model: "smollm2", messages: [], stream: true }),
  });
  const text = await res.text();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`status ${res.status} after ${seconds} s, [DONE] received: ${text.endsWith("data: [DONE]\n\n")}`);
} finally {
  await server.stop();
  await dmr.stop();
}
