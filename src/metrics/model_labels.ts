/**
 * @module
 * The model name a finished request is counted under in the stats, the metrics and the
 * dashboard, chosen so that no client can grow them without bound:
 *
 * - a request an endpoint took is labelled by the model as the router matched it: every
 *   spelling that routes alike (`Llama3`, `llama3:latest`, ` llama3`) shares the label of the
 *   first one seen, and only models some endpoint lists can be routed;
 * - a request no endpoint took (an unknown model, a bad body, every endpoint down) carries
 *   whatever name the client typed: the first `limit` such names get their own label, the rest
 *   are counted as `other`. A name already labelled by a routed request keeps its label.
 *
 * The access line always shows the name as sent.
 */

/** The label for unrouted model names past the limit. */
export const OTHER_MODELS = "other";

export class ModelLabels {
  /** Router key → the label its first routed request gave it. */
  readonly #routed = new Map<string, string>();
  readonly #labelled = new Set<string>();
  #unrouted = 0;

  constructor(private readonly limit = 100) {}

  /**
   * @param model the name as the access line shows it
   * @param key the router's key for it, when the request got as far as routing
   * @param endpoint the endpoint that took the request, if any
   */
  of(model: string | undefined, key: string | undefined, endpoint: string | undefined): string | undefined {
    if (!model) return model;
    if (endpoint && key !== undefined) {
      // /olla/proxy routes the client's spelling as is and each endpoint folds it its own way: fold case,
      // padding and :latest here too, so spelling variants cannot multiply the labels.
      const id = key.trim().toLowerCase().replace(/:latest$/, "");
      let label = this.#routed.get(id);
      if (label === undefined) {
        this.#routed.set(id, label = model);
        this.#labelled.add(model);
      }
      return label;
    }
    if (this.#labelled.has(model)) return model;
    if (this.#unrouted >= this.limit) return OTHER_MODELS;
    this.#unrouted++;
    this.#labelled.add(model);
    return model;
  }
}
