/**
 * @module
 * Liveness and identity: `/internal/health` and `/version`, in Olla's shapes.
 */
import type { Hono } from "hono";
import { BUILT_IN_PROFILES } from "../profiles/registry.ts";
import { NAME, VERSION } from "../version.ts";
import type { AppEnv } from "./context.ts";

export function mountInternalRoutes(app: Hono<AppEnv>, runtime: { name: string; version: string }): void {
  app.get("/internal/health", (c) => c.json({ status: "healthy" }));
  app.get("/version", (c) =>
    c.json({
      name: NAME,
      version: VERSION,
      edition: "Community",
      description: "Load balancer for self-hosted LLM inference, speaking the Olla proxy API",
      build: { runtime: runtime.name, runtime_version: runtime.version },
      capabilities: ["model_routing", "health_checking", "streaming", "failover"],
      supported_backends: BUILT_IN_PROFILES.map((p) => p.type),
      api: {
        version: "v1",
        endpoints: {
          dmr: "/olla/dmr/engines/v1/{models,chat/completions,completions,embeddings}",
          health: "/internal/health",
          version: "/version",
        },
      },
    }));
}
