/**
 * What every emulator records of the requests it receives, so tests can prove what did,
 * and what never did, reach a backend.
 */

export interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
}

export async function record(req: Request, into: Seen[]): Promise<Seen> {
  const url = new URL(req.url);
  const seen: Seen = {
    method: req.method,
    path: url.pathname,
    search: url.search,
    headers: Object.fromEntries(req.headers),
    body: req.method === "GET" || req.method === "HEAD" ? "" : await req.text(),
  };
  into.push(seen);
  return seen;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A body streamed as the given pieces, `delayMs` apart, each flushed on its own; with `hold`,
 * everything after the first piece waits until it resolves (a test proves the first arrived alone).
 */
export function paced(
  pieces: readonly string[],
  delayMs: number,
  contentType: string,
  hold?: () => Promise<void>,
): Response {
  const encoder = new TextEncoder();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = pieces[next++];
      if (piece === undefined) return controller.close();
      if (next === 2 && hold) await hold();
      if (delayMs > 0) await sleep(delayMs);
      controller.enqueue(encoder.encode(piece));
    },
  });
  return new Response(body, { headers: { "content-type": contentType } });
}

/** A loopback server that records every request, then answers with `handle`. */
export function serveRecorded(
  port: number | undefined,
  into: Seen[],
  handle: (seen: Seen, req: Request) => Response | Promise<Response>,
): { url: string; port: number; stop: () => Promise<void> } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: port ?? 0,
    idleTimeout: 0,
    async fetch(req) {
      return handle(await record(req, into), req);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, port: server.port!, stop: () => server.stop(true) };
}
