/**
 * @module
 * `tureen healthcheck`: one GET of `/internal/health`, so a container needs no curl or wget.
 */

/** How long the server has to answer. */
export const HEALTHCHECK_TIMEOUT_MS = 2_000;

/**
 * The base URL a local healthcheck should call for a server configured with `host`/`port`:
 * the wildcard addresses (0.0.0.0, ::) are not connectable, so they mean 127.0.0.1.
 */
export function healthcheckBaseUrl(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const target = bare === "0.0.0.0" || bare === "::" || bare === "" ? "127.0.0.1" : bare;
  return `http://${target.includes(":") ? `[${target}]` : target}:${port}`;
}

export interface HealthcheckResult {
  readonly ok: boolean;
  readonly message: string;
}

/** GET `<base>/internal/health`; healthy only on a 200 within the timeout. */
export async function runHealthcheck(
  base: string,
  fetchFn: (url: string, init: RequestInit) => Promise<Response> = fetch,
  timeoutMs = HEALTHCHECK_TIMEOUT_MS,
): Promise<HealthcheckResult> {
  const url = `${base.replace(/\/+$/, "")}/internal/health`;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetchFn(url, { method: "GET", signal, headers: { "user-agent": "tureen-healthcheck" } });
    await response.body?.cancel().catch(() => {});
    if (response.status === 200) return { ok: true, message: `healthy: ${url} answered 200` };
    return { ok: false, message: `unhealthy: ${url} answered ${response.status}` };
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${timeoutMs}ms` : (error as Error).message;
    return { ok: false, message: `unhealthy: ${url}: ${reason}` };
  }
}
