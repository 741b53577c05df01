/** Reading the event streams real backends send, as relayed through Tureen. */

/** The data lines of an OpenAI-style event stream, parsed, and whether it ended with [DONE]. */
export function events(text: string): { chunks: Array<Record<string, any>>; done: boolean } {
  const data = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
  return { chunks: data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d)), done: data.at(-1) === "[DONE]" };
}
