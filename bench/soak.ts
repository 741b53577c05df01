/**
 * Soak: mixed streaming load through one Tureen for a long run, with a fault injected every
 * few seconds, sampling the proxy's RSS and open file descriptors. Not part of CI.
 *
 *   bun bench/soak.ts [--minutes 10] [--fault-every-s 5] [--streams 16] [--out PATH]
 *
 * Load: `--streams` clients in a loop of SSE chat requests (20 events, 20 ms apart) and four in
 * a loop of plain ones, all with a valid API key, through two mock DMR backends.
 * Faults, in rotation: a backend killed and restarted 3 s later; 200 streams aborted at once;
 * 50 stalled bodies (answered 408 by server.read_timeout); 100 hostile requests (dot segments,
 * bad JSON, wrong keys, oversized bodies); a SIGHUP reload that rotates a key.
 * Ends with a JSON report (bench/results/soak-latest.json) and a Markdown summary on stdout.
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, freePort, HOST, killChildren, machineInfo, PROXY_CHAT_PATH, ROOT, round, rssMiB, sleep, sourceFingerprint } from "./lib.ts";

function flag(name: string, fallback: string): string {
  const i = Bun.argv.indexOf(`--${name}`);
  return i > 0 && Bun.argv[i + 1] !== undefined ? Bun.argv[i + 1]! : fallback;
}

const MINUTES = Number(flag("minutes", "10"));
const FAULT_EVERY_MS = Number(flag("fault-every-s", "5")) * 1000;
const STREAMS = Number(flag("streams", "16"));
const OUT = flag("out", join(ROOT, "bench", "results", "soak-latest.json"));
const KEY = "soak-key-0123456789abcdef";
const workDir = mkdtempSync(join(tmpdir(), "tureen-soak-"));

function fds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** A mock DMR on a fixed port, so it can be killed and restarted where the proxy expects it. */
function spawnMock(port: number) {
  return Bun.spawn([BUN, join(ROOT, "bench", "mock.ts"), "--host", HOST, "--port", String(port), "--chunks", "20", "--interval-ms", "20"], {
    cwd: ROOT,
    stdout: "ignore",
    stderr: "inherit",
  });
}

function writeConfig(port: number, mockPorts: number[], rotatedKey: string): string {
  const path = join(workDir, "soak.yaml");
  writeFileSync(path, `server:
  host: ${HOST}
  port: ${port}
  read_timeout: 2s
  request_logging: true
  request_limits:
    max_body_size: 1MB
logging:
  level: warn
  format: json
auth:
  keys:
    - name: soak
      key: ${KEY}
    - name: rotated
      key: ${rotatedKey}
endpoints:
${mockPorts.map((p, i) => `  - url: http://${HOST}:${p}
    name: mock-${i}
    check_interval: 1s
    check_timeout: 500ms
`).join("")}`);
  return path;
}

const STREAM_BODY = JSON.stringify({ model: "ai/smollm2", messages: [{ role: "user", content: "Hello" }], stream: true });
const CHAT_BODY = JSON.stringify({ model: "ai/smollm2", messages: [{ role: "user", content: "Hello" }] });

const counts = {
  streams_ok: 0,
  /** Streams in flight on a backend when it was killed: cut, as they must be (no retry after the first byte). */
  streams_cut_by_kill: 0,
  streams_failed: 0,
  plain_ok: 0,
  plain_failed: 0,
  aborted: 0,
  stalled_408: 0,
  stalled_other: 0,
  hostile_expected: 0,
  hostile_unexpected: 0,
  faults: {} as Record<string, number>,
};
const failures: string[] = [];
let lastKillAt = 0;
/** A stream that fails within a second of a backend kill was on that backend. */
const failStream = (what: string) => {
  if (Date.now() - lastKillAt < 1000) counts.streams_cut_by_kill++;
  else {
    counts.streams_failed++;
    note(what);
  }
};
const note = (what: string) => failures.length < 20 && failures.push(what);

async function main() {
  const mockPorts = [freePort(), freePort()];
  const mocks = mockPorts.map(spawnMock);
  const port = freePort();
  let rotation = 0;
  const configPath = writeConfig(port, mockPorts, `rotated-${rotation}-0123456789abcdef`);
  const proxy = Bun.spawn([BUN, join(ROOT, "main.ts"), "--config", configPath], {
    cwd: ROOT,
    stdout: Bun.file(join(workDir, "proxy.log")),
    stderr: Bun.file(join(workDir, "proxy.err")),
  });
  const url = `http://${HOST}:${port}`;
  const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  for (let i = 0; ; i++) {
    const ok = await fetch(url + PROXY_CHAT_PATH, { method: "POST", headers: auth, body: CHAT_BODY }).then((r) => r.status === 200).catch(() => false);
    if (ok) break;
    if (i > 300) throw new Error(`proxy not ready; see ${workDir}`);
    await sleep(50);
  }
  // Let both endpoints be routable before the clock starts.
  await sleep(1500);
  const endAt = Date.now() + MINUTES * 60_000;
  const running = () => Date.now() < endAt;

  const samples: Array<{ t_s: number; rss_mib: number; fds: number }> = [];
  const startedAt = Date.now();
  const sample = () => samples.push({ t_s: round((Date.now() - startedAt) / 1000, 1), rss_mib: round(rssMiB(proxy.pid), 1), fds: fds(proxy.pid) });
  sample();

  const streamLoop = async () => {
    while (running()) {
      try {
        const res = await fetch(url + PROXY_CHAT_PATH, { method: "POST", headers: auth, body: STREAM_BODY });
        const text = await res.text();
        if (res.status === 200 && text.endsWith("data: [DONE]\n\n")) counts.streams_ok++;
        else failStream(`stream ${res.status} ${text.slice(0, 120)}`);
      } catch (error) {
        failStream(`stream threw ${error}`);
      }
    }
  };
  const plainLoop = async () => {
    while (running()) {
      try {
        const res = await fetch(url + PROXY_CHAT_PATH, { method: "POST", headers: auth, body: CHAT_BODY });
        await res.arrayBuffer();
        if (res.status === 200) counts.plain_ok++;
        else {
          counts.plain_failed++;
          note(`plain ${res.status}`);
        }
      } catch (error) {
        counts.plain_failed++;
        note(`plain threw ${error}`);
      }
      await sleep(5);
    }
  };

  const faults: Array<[string, () => Promise<void>]> = [
    ["backend killed and restarted", async () => {
      lastKillAt = Date.now();
      mocks[1]!.kill("SIGKILL");
      await mocks[1]!.exited;
      await sleep(3000);
      mocks[1] = spawnMock(mockPorts[1]!);
    }],
    ["200 streams aborted at once", async () => {
      const controllers = Array.from({ length: 200 }, () => new AbortController());
      const started = controllers.map((c) =>
        fetch(url + PROXY_CHAT_PATH, { method: "POST", headers: { ...auth, "x-bench-chunks": "500" }, body: STREAM_BODY, signal: c.signal })
          .then(async (r) => {
            await r.body?.getReader().read();
          })
          .catch(() => {})
      );
      await Promise.race([Promise.all(started), sleep(2000)]);
      for (const c of controllers) c.abort();
      counts.aborted += 200;
    }],
    ["50 stalled bodies", async () => {
      const head = `POST ${PROXY_CHAT_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Length: 100\r\n\r\n{`;
      await Promise.all(Array.from({ length: 50 }, () => new Promise<void>((resolve) => {
        let text = "";
        void Bun.connect({
          hostname: HOST,
          port,
          socket: {
            open: (s) => void s.write(head),
            data: (_s, d) => void (text += Buffer.from(d).toString("latin1")),
            close: () => {
              if (text.startsWith("HTTP/1.1 408")) counts.stalled_408++;
              else counts.stalled_other++;
              resolve();
            },
          },
        }).catch(() => resolve());
      })));
    }],
    ["100 hostile requests", async () => {
      const probes: Array<[string, RequestInit, number]> = [
        ["/olla/dmr/engines/v1/chat/completions%2f..", { method: "POST", headers: auth, body: CHAT_BODY }, 404],
        [PROXY_CHAT_PATH, { method: "POST", headers: auth, body: '{"model":' }, 400],
        [PROXY_CHAT_PATH, { method: "POST", headers: { authorization: "Bearer nope" }, body: CHAT_BODY }, 401],
        [PROXY_CHAT_PATH, { method: "POST", headers: auth, body: "x".repeat(2 * 1024 * 1024) }, 413],
      ];
      await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const [path, init, expected] = probes[i % probes.length]!;
        const res = await fetch(url + path, init).catch(() => null);
        await res?.arrayBuffer().catch(() => {});
        if (res?.status === expected) counts.hostile_expected++;
        else {
          counts.hostile_unexpected++;
          note(`hostile ${path} expected ${expected}, got ${res?.status}`);
        }
      }));
    }],
    ["SIGHUP key rotation", async () => {
      rotation++;
      writeConfig(port, mockPorts, `rotated-${rotation}-0123456789abcdef`);
      proxy.kill("SIGHUP");
      await sleep(200);
    }],
  ];

  const faultLoop = async () => {
    for (let i = 0; running(); i++) {
      await sleep(FAULT_EVERY_MS);
      if (!running()) break;
      const [name, run] = faults[i % faults.length]!;
      counts.faults[name] = (counts.faults[name] ?? 0) + 1;
      await run();
    }
  };
  const sampler = setInterval(sample, 5000);
  await Promise.all([
    ...Array.from({ length: STREAMS }, streamLoop),
    ...Array.from({ length: 4 }, plainLoop),
    faultLoop(),
  ]);
  clearInterval(sampler);
  await sleep(3000);
  sample();
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const report = {
    when: new Date().toISOString(),
    minutes: MINUTES,
    fault_every_s: FAULT_EVERY_MS / 1000,
    client_streams: STREAMS,
    machine: machineInfo(),
    source: sourceFingerprint(),
    counts,
    failures,
    rss_mib: { start: first.rss_mib, end: last.rss_mib, max: Math.max(...samples.map((s) => s.rss_mib)) },
    fds: { start: first.fds, end: last.fds, max: Math.max(...samples.map((s) => s.fds)) },
    proxy_exit: proxy.exitCode,
    samples,
  };
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(OUT, JSON.stringify(report, null, 2));
  console.log(`| Soak ${MINUTES} min, fault every ${FAULT_EVERY_MS / 1000} s | |
|---|---|
| streams ok / cut by a killed backend / failed otherwise | ${counts.streams_ok} / ${counts.streams_cut_by_kill} / ${counts.streams_failed} |
| plain requests ok / failed | ${counts.plain_ok} / ${counts.plain_failed} |
| streams aborted by clients | ${counts.aborted} |
| stalled bodies answered 408 / other | ${counts.stalled_408} / ${counts.stalled_other} |
| hostile requests with the expected answer / not | ${counts.hostile_expected} / ${counts.hostile_unexpected} |
| faults | ${Object.entries(counts.faults).map(([k, v]) => `${k} ×${v}`).join("; ")} |
| proxy RSS start / max / end (MiB) | ${report.rss_mib.start} / ${report.rss_mib.max} / ${report.rss_mib.end} |
| proxy fds start / max / end | ${report.fds.start} / ${report.fds.max} / ${report.fds.end} |
`);
  if (failures.length) console.log(`first failures:\n${failures.join("\n")}`);
  proxy.kill("SIGTERM");
  await Promise.race([proxy.exited, sleep(3000)]);
  for (const mock of mocks) mock.kill("SIGKILL");
  killChildren();
}

await main().catch((error) => {
  console.error(error);
  killChildren();
  process.exit(1);
});
process.exit(0);
