/**
 * The dashboard in a real browser: Debian's chromium driven by puppeteer-core. Runs when
 * chromium is installed, and always in CI (`.ci/run` installs it), where a missing browser
 * is a failure. Screenshots go to artifacts/ (desktop and phone width).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { type DmrEmulator, startDmr } from "../emulators/dmr.ts";
import { dmrConfig, type ServerUnderTest, startServer, until } from "../_server.ts";

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
  .find((path): path is string => !!path && existsSync(path));
const ARTIFACTS = resolve(import.meta.dir, "../../artifacts");
/** The health loop's interval in this test; an endpoint must show down within it (plus one dashboard poll). */
const CHECK_INTERVAL_MS = 1000;
const POLL_MS = 1000;

if (!CHROMIUM && process.env.CI) throw new Error("CI must run the browser test: install chromium (.ci/run does)");

describe.skipIf(!CHROMIUM)("dashboard in chromium", () => {
  let main: DmrEmulator;
  let spare: DmrEmulator;
  let server: ServerUnderTest;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    main = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }, { tag: "docker.io/ai/qwen3:latest" }] });
    spare = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }] });
    server = await startServer(dmrConfig([
      { url: main.url, name: "gpu-box", priority: 100 },
      { url: spare.url, name: "spare-laptop", priority: 50, check_interval: `${CHECK_INTERVAL_MS}ms` },
    ]));
    await until(async () => (await (await fetch(`${server.url}/internal/status/endpoints`)).json()).routable_count === 2);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container has no user namespace for chromium's sandbox.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    page = await browser.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
    page.on("requestfailed", (request) => consoleErrors.push(`request failed: ${request.url()}`));
    await page.setViewport({ width: 1280, height: 900 });
    // Some traffic first, so the charts and tables have something to show.
    for (let i = 0; i < 6; i++) await chat("smollm2", i % 2 === 0);
    await chat("qwen3", true);
    await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "llama-404", messages: [] }),
    }).then((r) => r.text());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await main?.stop();
    await spare?.stop();
  });

  async function chat(model: string, stream: boolean): Promise<void> {
    const res = await fetch(`${server.url}/olla/dmr/engines/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hello there" }], stream }),
    });
    await res.text();
  }

  const polls = () => page.$eval("body", (b) => Number(b.getAttribute("data-polls") ?? 0));
  const stateOf = (name: string) =>
    page.$eval(`[data-endpoint="${name}"]`, (card) => card.getAttribute("data-state")).catch(() => null);
  const tokensOut = () => page.$eval("#tokens-out", (node) => Number((node.textContent ?? "").replace(/[^\d]/g, "") || 0));

  test("loads with no console errors and shows every configured endpoint", async () => {
    await page.goto(`${server.url}/internal/ui/`, { waitUntil: "load" });
    await page.waitForFunction(() => Number(document.body.getAttribute("data-polls") ?? 0) >= 2, { timeout: 10_000 });
    const names = await page.$$eval("[data-endpoint]", (cards) => cards.map((c) => c.getAttribute("data-endpoint")));
    expect(names.sort()).toEqual(["gpu-box", "spare-laptop"]);
    expect(await stateOf("gpu-box")).toBe("healthy");
    const models = await page.$$eval("[data-model]", (rows) => rows.map((r) => r.getAttribute("data-model")));
    expect(models).toContain("ai/smollm2");
    expect(await page.$eval("#errors", (t) => t.textContent)).toContain("ai/llama-404");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 20_000);

  test("a streamed request raises the token counters", async () => {
    const before = await tokensOut();
    const seen = await polls();
    await chat("smollm2", true);
    await page.waitForFunction((n) => Number(document.body.getAttribute("data-polls")) > n + 1, { timeout: 5_000 }, seen);
    expect(await tokensOut()).toBe(before + 3);
  }, 10_000);

  test("an endpoint shows down within one check interval (and one poll) of its backend stopping, then recovers", async () => {
    const port = spare.port;
    await spare.stop();
    const stoppedAt = performance.now();
    await page.waitForFunction(
      () => ["offline", "unhealthy"].includes(document.querySelector('[data-endpoint="spare-laptop"]')?.getAttribute("data-state") ?? ""),
      // Slack beyond interval + poll for chromium and the proxy on a loaded 2-core machine.
      { timeout: CHECK_INTERVAL_MS + POLL_MS + 4000, polling: 50 },
    );
    const shownDownMs = performance.now() - stoppedAt;
    console.log(`spare-laptop shown down ${Math.round(shownDownMs)} ms after its backend stopped`);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-endpoint-down.png"), fullPage: true });
    spare = await startDmr({ models: [{ tag: "docker.io/ai/smollm2:latest" }], port });
    await page.waitForFunction(
      () => document.querySelector('[data-endpoint="spare-laptop"]')?.getAttribute("data-state") === "healthy",
      { timeout: 10_000, polling: 100 },
    );
    // The failed health probes are not page errors; the page itself stayed clean.
    expect(consoleErrors).toEqual([]);
  }, 20_000);

  test("readable at phone width: nothing wider than the screen but the scrollable tables", async () => {
    await page.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 });
    await page.waitForFunction((n) => Number(document.body.getAttribute("data-polls")) > n, { timeout: 5_000 }, await polls());
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
  }, 10_000);
});
