/** Parse Anthropic SSE text back into `{event, data}` pairs, checking every frame has both. */
export function parseEvents(text: string): Array<{ event: string; data: any }> {
  return text.split("\n\n").filter(Boolean).map((block) => {
    const [eventLine, dataLine, ...rest] = block.split("\n");
    if (!eventLine?.startsWith("event: ") || !dataLine?.startsWith("data: ") || rest.length > 0) {
      throw new Error(`malformed frame: ${JSON.stringify(block)}`);
    }
    const data = JSON.parse(dataLine.slice(6));
    const event = eventLine.slice(7);
    if (data.type !== event) throw new Error(`event ${event} carries data of type ${data.type}`);
    return { event, data };
  });
}

/** An OpenAI chunk with one choice. */
export function chunk(delta: Record<string, unknown>, finish_reason: string | null = null): Record<string, unknown> {
  return { id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] };
}
