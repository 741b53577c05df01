/**
 * @module
 * One readable reason for a failed call to an endpoint, across Bun's error `code` and
 * Deno's `cause`.
 */
import { redactUrl } from "../config/redact.ts";

/**
 * @param error what fetch threw
 * @param timeoutMs the timeout that applied, named when the call timed out
 */
export function describeFetchError(error: unknown, timeoutMs?: number): string {
  const name = (error as { name?: string })?.name;
  if (timeoutMs !== undefined && (name === "TimeoutError" || name === "AbortError")) {
    return `no answer within ${timeoutMs}ms`;
  }
  const cause = (error as { cause?: unknown })?.cause;
  const code = (error as { code?: string })?.code ?? (cause as { code?: string })?.code;
  const text = `${(error as Error)?.message ?? error} ${(cause as Error)?.message ?? ""}`;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED" || /connection refused/i.test(text)) {
    return "connection refused";
  }
  if (code === "ECONNRESET" || code === "ConnectionClosed" || /reset|socket closed|connection closed/i.test(text)) {
    return "connection reset";
  }
  // Runtimes quote the URL they fetched; its query may hold a key.
  return text.trim().split("\n")[0]!.replace(/https?:\/\/[^\s"']+/g, redactUrl);
}
