/**
 * The `openai` SDK's Responses API through Tureen to two DMR instances balanced round-robin.
 * A response's state lives only on the instance that created it, so every follow-up
 * (`previous_response_id`), read and delete must land there; without affinity, half of them
 * would reach the other instance and fail with its 404.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { NotFoundError } from "openai";
import { type DmrApisEmulator, startDmrApis } from "../emulators/dmr_apis.ts";
import { dmrConfig, type ServerUnderTest, startServer } from "../_server.ts";
import { CHAT_MODEL, rejection, SETUP_TIMEOUT_MS, TEXT } from "./_setup.ts";

let first: DmrApisEmulator;
let second: DmrApisEmulator;
let server: ServerUnderTest;
let client: OpenAI;

beforeAll(async () => {
  first = await startDmrApis();
  second = await startDmrApis();
  server = await startServer(
    dmrConfig([
      { url: first.url, name: "first", check_interval: "1s", check_timeout: "1s" },
      { url: second.url, name: "second", check_interval: "1s", check_timeout: "1s" },
    ], { proxy: { load_balancer: "round-robin" }, logging: { level: "info" } }),
  );
  await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "first");
  await server.waitForLog((l) => l.msg === "endpoint healthy" && l.endpoint === "second");
  client = new OpenAI({ baseURL: `${server.url}/olla/dmr/engines/v1`, apiKey: "not-needed", maxRetries: 0 });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await first?.stop();
  await second?.stop();
});

/** Which emulator holds a response id. */
const holderOf = (id: string) => (first.responses.has(id) ? "first" : second.responses.has(id) ? "second" : null);

describe("openai SDK: Responses API with endpoint affinity", () => {
  test("every follow-up with previous_response_id lands on the instance that holds the conversation", async () => {
    for (let conversation = 0; conversation < 2; conversation++) {
      let response = await client.responses.create({ model: CHAT_MODEL, input: "Hello" });
      const home = holderOf(response.id);
      expect(home).not.toBeNull();
      expect(response.output_text).toStartWith(TEXT);
      for (let turn = 2; turn <= 4; turn++) {
        response = await client.responses.create({ model: CHAT_MODEL, input: "And then?", previous_response_id: response.id });
        expect(holderOf(response.id)).toBe(home);
        expect(response.output_text).toContain(`(turn ${turn} `);
      }
    }
    // Round-robin spread the two new conversations over both instances.
    expect(first.responses.size).toBeGreaterThan(0);
    expect(second.responses.size).toBeGreaterThan(0);
  });

  test("a streamed follow-up also goes home, and its id is remembered from the stream", async () => {
    const opening = await client.responses.create({ model: CHAT_MODEL, input: "Hello" });
    const stream = await client.responses.create({ model: CHAT_MODEL, input: "More", previous_response_id: opening.id, stream: true });
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of stream) if (event.type === "response.completed") completed = event.response;
    expect(completed).not.toBeNull();
    expect(holderOf(completed!.id)).toBe(holderOf(opening.id));
    const next = await client.responses.create({ model: CHAT_MODEL, input: "Again", previous_response_id: completed!.id });
    expect(next.output_text).toContain("(turn 3 ");
  });

  test("retrieve, inputItems.list and delete go to the holder; a deleted id is then unknown", async () => {
    const created = await client.responses.create({ model: CHAT_MODEL, input: "Remember me" });
    for (let i = 0; i < 3; i++) expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
    const items = await client.responses.inputItems.list(created.id);
    expect(items.data.length).toBe(1);
    await client.responses.delete(created.id);
    expect(holderOf(created.id)).toBeNull();
    const error = await rejection(client.responses.retrieve(created.id));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain("does not know response");
  });
});
