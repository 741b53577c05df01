/**
 * A recording relay on 127.0.0.1 in front of a real backend's unix socket. It gives a real DMR
 * the parts of the emulator's interface the shared suites read (`url`, `requests`, `stop`), so
 * tests/compat runs unchanged against the real thing: requests are recorded as they arrive and
 * forwarded as they are, responses streamed back as they come, client aborts passed on.
 */
import type { RecordedRequest } from "../emulators/dmr.ts";
import type { Backend } from "./_backends.ts";

export interface RecordedBackend {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly backend: Backend;
  stop(): Promise<void>;
}

export function recordingRelay(backend: Backend): RecordedBackend {
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const body = new Uint8Array(await request.arrayBuffer());
      const record: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        search: url.search,
        headers: Object.fromEntries(request.headers),
        body,
        aborted: false,
        completed: false,
      };
      requests.push(record);
      request.signal.addEventListener("abort", () => (record.aborted = !record.completed), { once: true });
      const headers = new Headers(request.headers);
      headers.delete("host");
      const response = await backend.fetch(url.pathname + url.search, {
        method: request.method,
        headers,
        body: body.length > 0 ? body : undefined,
        signal: request.signal,
        decompress: false,
      } as RequestInit);
      record.completed = true;
      return response;
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    backend,
    async stop() {
      await server.stop(true);
      await backend.stop();
    },
  };
}
