/**
 * Hand-built Endpoint objects for unit tests: a literal EndpointConfig, no loader.
 */
import type { Clock } from "../../src/clock.ts";
import type { EndpointConfig } from "../../src/config/load.ts";
import { Endpoint, type EndpointStatus } from "../../src/endpoints/endpoint.ts";
import type { BreakerOptions } from "../../src/health/breaker.ts";
import type { Fields, Level, Logger } from "../../src/log/logger.ts";
import { DMR_PROFILE, parseDmrModelList } from "../../src/profiles/dmr.ts";

export function endpointConfig(name: string, overrides: Partial<EndpointConfig> = {}): EndpointConfig {
  const url = overrides.url ?? `http://${name}:12434`;
  return {
    name,
    url,
    type: "docker-model-runner",
    priority: 100,
    modelUrl: `${url}/engines/v1/models`,
    healthUrl: `${url}/engines/v1/models`,
    checkIntervalMs: 1_000,
    checkTimeoutMs: 500,
    headers: [],
    preservePath: false,
    maxConcurrentRequests: null,
    anthropicSupport: true,
    ...overrides,
  };
}

/** Breaker settings as the config defaults them. */
export const BREAKER: BreakerOptions = { failureThreshold: 3, cooldownMs: 5_000, maxCooldownMs: 60_000 };

/** A clock nothing here moves; tests that care about time pass their own. */
const STILL_CLOCK: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} };

/** An Endpoint from a hand-written config, in its initial "unknown" state. */
export function newEndpoint(name: string, overrides: Partial<EndpointConfig> = {}, clock: Clock = STILL_CLOCK): Endpoint {
  return new Endpoint(endpointConfig(name, overrides), DMR_PROFILE, BREAKER, clock);
}

export interface EndpointSpec extends Partial<EndpointConfig> {
  status?: EndpointStatus;
  models?: string[];
  inFlight?: number;
  /** Drives the endpoint's circuit breaker. */
  clock?: Clock;
}

export function makeEndpoint(name: string, spec: EndpointSpec = {}): Endpoint {
  const { status = "healthy", models = [], inFlight = 0, clock, ...config } = spec;
  const endpoint = newEndpoint(name, config, clock);
  endpoint.setStatus(status, null);
  // An endpoint with a status has had its first probe.
  if (status !== "unknown") endpoint.markChecked();
  setInFlight(endpoint, inFlight);
  setModels(endpoint, models);
  return endpoint;
}

/** Take or give back slots until `count` are held. */
export function setInFlight(endpoint: Endpoint, count: number): void {
  while (endpoint.inFlight < count) endpoint.takeSlot();
  while (endpoint.inFlight > count) endpoint.releaseSlot();
}

/** Give an endpoint the models a DMR list with these ids would. */
export function setModels(endpoint: Endpoint, ids: string[], created = 0): void {
  endpoint.setModels(parseDmrModelList({ data: ids.map((id) => ({ id, created })) }), endpoint.modelsUpdatedAt);
}

export interface LogLine {
  level: Level;
  message: string;
  fields?: Fields;
}

/** A Logger that records every call. */
export function recordingLogger(): Logger & { lines: LogLine[]; messages(level?: Level): string[] } {
  const lines: LogLine[] = [];
  const at = (level: Level) => (message: string, fields?: Fields) => void lines.push({ level, message, fields });
  return {
    lines,
    messages: (level) => lines.filter((l) => !level || l.level === level).map((l) => l.message),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    enabled: () => true,
  };
}
