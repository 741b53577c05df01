/**
 * @module
 * The model name a finished request is counted under in the stats, the metrics and the
 * dashboard. A model an endpoint took is one some endpoint lists (the router chose it), so
 * those names are bounded by the fleet's catalogues. A request no endpoint took (an unknown
 * model, a bad body, every endpoint down) carries whatever name the client typed: counting each
 * such name under its own label would let any client grow memory and the exposition without
 * bound, so only the first `limit` of them get a label and the rest are counted as `other`.
 * The access line always shows the name as sent.
 */

/** The label for unrouted model names past the limit. */
export const OTHER_MODELS = "other";

export class ModelLabels {
  readonly #labelled = new Set<string>();
  #unrouted = 0;

  constructor(private readonly limit = 100) {}

  /** The label for `model` in a request that `endpoint` (if any) answered; undefined without a model. */
  of(model: string | undefined, endpoint: string | undefined): string | undefined {
    if (!model || this.#labelled.has(model)) return model;
    if (!endpoint) {
      if (this.#unrouted >= this.limit) return OTHER_MODELS;
      this.#unrouted++;
    }
    this.#labelled.add(model);
    return model;
  }
}
