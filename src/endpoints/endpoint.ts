/**
 * @module
 * One backend: identity from config plus the live state the health loop and the proxy
 * write. Only `health/` changes `status`; only `proxying/` changes the request counters.
 */
import type { EndpointConfig } from "../config/load.ts";

export type EndpointStatus = "unknown" | "healthy" | "unhealthy";

/** A model as one endpoint lists it. */
export interface EndpointModel {
  /** Canonical reference (see models/dmr_names.ts). */
  readonly key: string;
  /** The id exactly as the backend listed it. */
  readonly id: string;
  readonly created: number;
}

export class Endpoint {
  readonly config: EndpointConfig;
  status: EndpointStatus = "unknown";
  lastCheckAt: number | null = null;
  nextCheckAt: number | null = null;
  lastCheckMs: number | null = null;
  lastError: string | null = null;
  consecutiveFailures = 0;
  /** Models by canonical key, in the backend's order. */
  models: ReadonlyMap<string, EndpointModel> = new Map();
  modelsUpdatedAt: number | null = null;
  inFlight = 0;
  requests = 0;
  failures = 0;
  /** Settles once the first health probe has finished, so early requests can wait for it. */
  readonly firstCheck: Promise<void>;
  #resolveFirstCheck!: () => void;

  constructor(config: EndpointConfig) {
    this.config = config;
    this.firstCheck = new Promise((resolve) => (this.#resolveFirstCheck = resolve));
  }

  get name(): string {
    return this.config.name;
  }

  /** Whether the proxy may send traffic here now. */
  isAvailable(): boolean {
    return this.status === "healthy";
  }

  serves(modelKey: string): boolean {
    if (this.models.has(modelKey)) return true;
    // A short 12-hex ID names the model whose digest starts with it (dmr-wire.md §2).
    if (modelKey.startsWith("sha256:") && modelKey.length === 19) {
      for (const key of this.models.keys()) if (key.startsWith(modelKey)) return true;
    }
    return false;
  }

  markChecked(): void {
    this.#resolveFirstCheck();
  }
}
