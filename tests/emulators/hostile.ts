/**
 * A backend that speaks raw bytes over TCP, for answers no HTTP server library will send:
 * impossible statuses, garbage, a close mid-stream, megabytes of headers. Its model list is
 * valid HTTP (so health checks pass); inference answers whatever `mode` says. Every request
 * it receives is recorded, so tests can assert what reached a backend.
 */

export type HostileMode = "ok" | "sse" | "status_700" | "sse_status_700" | "garbage" | "mid_stream_close" | "huge_headers";

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Map<string, string>;
  readonly body: string;
}

export interface HostileBackend {
  readonly url: string;
  readonly port: number;
  mode: HostileMode;
  /** Ids the model list shows. */
  models: string[];
  /** Inference requests (not model-list or health reads). */
  readonly received: ReceivedRequest[];
  stop(): void;
}

type Sock = { write(data: string | Uint8Array): number; end(): void; terminate?(): void; data: { buffer: string } };

export function startHostile(options: { models?: string[]; mode?: HostileMode } = {}): HostileBackend {
  const state = {
    mode: options.mode ?? "ok",
    models: options.models ?? ["docker.io/ai/smollm2:latest"],
    received: [] as ReceivedRequest[],
  };
  const listener = Bun.listen<{ buffer: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { buffer: "" };
      },
      data(socket, chunk) {
        socket.data.buffer += Buffer.from(chunk).toString("latin1");
        const request = takeRequest(socket.data);
        if (request) answer(socket as unknown as Sock, request);
      },
    },
  });

  function answer(socket: Sock, request: ReceivedRequest): void {
    if (request.method === "GET" && !request.path.endsWith("/models")) {
      socket.write(`HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return socket.end();
    }
    if (request.method === "GET") {
      const models = state.models.map((id) => ({ id, object: "model", created: 1, owned_by: "docker" }));
      const body = Buffer.from(JSON.stringify({ object: "list", data: models }), "utf8");
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      socket.write(body);
      socket.end();
      return;
    }
    state.received.push(request);
    const close = `Connection: close\r\n`;
    switch (state.mode) {
      case "ok": {
        const body = '{"object":"chat.completion","choices":[]}';
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${close}\r\n${body}`);
        return socket.end();
      }
      case "sse":
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n${close}\r\ndata: {"n":0}\n\ndata: [DONE]\n\n`);
        return socket.end();
      case "status_700":
        socket.write(`HTTP/1.1 700 Odd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n${close}\r\n{}`);
        return socket.end();
      case "sse_status_700":
        socket.write(`HTTP/1.1 799 Odd\r\nContent-Type: text/event-stream\r\n${close}\r\ndata: {"n":0}\n\n`);
        return socket.end();
      case "garbage":
        socket.write("\x00\xff\x13garbage that is not HTTP\r\n\r\n");
        return socket.end();
      case "mid_stream_close":
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n${close}\r\n`);
        const event = 'data: {"n":0}\n\n';
        socket.write(`${event.length.toString(16)}\r\n${event}\r\n`);
        // No terminating chunk: the connection just ends, a moment after the first event.
        setTimeout(() => socket.end(), 50);
        return;
      case "huge_headers": {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n`);
        const line = `X-Filler: ${"a".repeat(8000)}\r\n`;
        for (let i = 0; i < 1300; i++) socket.write(line);
        socket.write(`Content-Length: 2\r\n${close}\r\n{}`);
        return socket.end();
      }
    }
  }

  return Object.assign(state, {
    url: `http://127.0.0.1:${listener.port}`,
    port: listener.port,
    stop: () => listener.stop(true),
  });
}

/** Take one complete request (Content-Length or chunked body) off the front of the buffer. */
function takeRequest(data: { buffer: string }): ReceivedRequest | null {
  const split = data.buffer.indexOf("\r\n\r\n");
  if (split === -1) return null;
  const lines = data.buffer.slice(0, split).split("\r\n");
  const [method = "", path = ""] = lines[0]!.split(" ");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let rest = data.buffer.slice(split + 4);
  let body = "";
  if (headers.get("transfer-encoding")?.includes("chunked")) {
    const end = rest.indexOf("0\r\n\r\n");
    if (end === -1) return null;
    for (let at = 0; at < end;) {
      const lineEnd = rest.indexOf("\r\n", at);
      const size = parseInt(rest.slice(at, lineEnd), 16);
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 4 + size;
    }
    rest = rest.slice(end + 5);
  } else {
    const length = Number(headers.get("content-length") ?? 0);
    if (rest.length < length) return null;
    body = rest.slice(0, length);
    rest = rest.slice(length);
  }
  data.buffer = rest;
  return { method, path, headers, body: Buffer.from(body, "latin1").toString("utf8") };
}
