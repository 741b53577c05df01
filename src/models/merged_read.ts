/**
 * @module
 * One list from every healthy endpoint of a type: the same GET sent to each (with its own
 * headers and the probe timeout), the arrays under `field` concatenated in priority order.
 * An endpoint that fails or answers something else adds nothing; the rest still answer.
 */
import { backendGet, type Fetch, readJson } from "../endpoints/backend_get.ts";
import type { Endpoint } from "../endpoints/endpoint.ts";

export async function readMerged(
  fetch: Fetch,
  endpoints: readonly Endpoint[],
  path: string,
  field: string,
): Promise<Record<string, unknown[]>> {
  const healthy = endpoints.filter((e) => e.isRoutable()).sort((a, b) => b.config.priority - a.config.priority);
  const lists = await Promise.all(healthy.map(async (endpoint) => {
    try {
      const response = await backendGet(fetch, endpoint.proxyBase + path, endpoint, endpoint.config.checkTimeoutMs);
      if (!response.ok) {
        await response.body?.cancel();
        return [];
      }
      const items = ((await readJson(response)) as Record<string, unknown> | null)?.[field];
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }));
  return { [field]: lists.flat() };
}
