import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { healthcheckBaseUrl, runHealthcheck } from "../../../src/cli/healthcheck.ts";

describe("healthcheckBaseUrl", () => {
  test("wildcard listen addresses mean 127.0.0.1", () => {
    expect(healthcheckBaseUrl("0.0.0.0", 40114)).toBe("http://127.0.0.1:40114");
    expect(healthcheckBaseUrl("::", 40114)).toBe("http://127.0.0.1:40114");
    expect(healthcheckBaseUrl("[::]", 8080)).toBe("http://127.0.0.1:8080");
  });

  test("other hosts are used as they are, IPv6 literals in brackets", () => {
    expect(healthcheckBaseUrl("localhost", 40114)).toBe("http://localhost:40114");
    expect(healthcheckBaseUrl("10.0.0.5", 1)).toBe("http://10.0.0.5:1");
    expect(healthcheckBaseUrl("::1", 40114)).toBe("http://[::1]:40114");
  });
});

describe("runHealthcheck", () => {
  let server: ReturnType<typeof Bun.serve>;
  let base: string;
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === "/internal/health") return Response.json({ status: "healthy" });
        if (path === "/sick/internal/health") return new Response("no", { status: 503 });
        return new Promise<Response>(() => {});
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  test("200 is healthy; a trailing slash on the base is fine", async () => {
    expect(await runHealthcheck(base)).toEqual({ ok: true, message: `healthy: ${base}/internal/health answered 200` });
    expect((await runHealthcheck(`${base}/`)).ok).toBe(true);
  });

  test("any other status is unhealthy", async () => {
    const result = await runHealthcheck(`${base}/sick`);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("answered 503");
  });

  test("no answer within the timeout is unhealthy, and says so", async () => {
    const started = performance.now();
    const result = await runHealthcheck(`${base}/hang`, fetch, 150);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("no answer within 150ms");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("a refused connection is unhealthy", async () => {
    const result = await runHealthcheck("http://127.0.0.1:1");
    expect(result.ok).toBe(false);
    expect(result.message).toStartWith("unhealthy: http://127.0.0.1:1/internal/health: ");
  });
});
