/**
 * @module
 * Read what a DMR endpoint serves from its OpenAI-style model list.
 */
import type { EndpointModel } from "../endpoints/endpoint.ts";
import { normaliseModelRef } from "./dmr_names.ts";

/**
 * Parse `GET /engines/v1/models`. An empty `data: []` is valid: DMR lists pulled models
 * only, and a fresh install has none.
 *
 * @throws {SyntaxError} when the body is not that shape
 */
export function parseDmrModelList(body: unknown): Map<string, EndpointModel> {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new SyntaxError('Cannot read model list: expected {"data": [...]}');
  const models = new Map<string, EndpointModel>();
  for (const item of data) {
    const id = (item as { id?: unknown })?.id;
    if (typeof id !== "string" || id.trim() === "") continue;
    const key = normaliseModelRef(id);
    if (models.has(key)) continue;
    const created = (item as { created?: unknown }).created;
    models.set(key, { key, id, created: typeof created === "number" ? created : 0 });
  }
  return models;
}
