/**
 * @module
 * Olla's overall verdict, shared by `/internal/status` and `olla_system_status`.
 */

/** Olla's rule: critical below half the endpoints up or 90% success, degraded below 80% or 95%. */
export function systemStatus(total: number, up: number, successRate: number | null): "healthy" | "degraded" | "critical" {
  const upRatio = total === 0 ? 0 : up / total;
  if (upRatio < 0.5 || (successRate !== null && successRate < 90)) return "critical";
  if (upRatio < 0.8 || (successRate !== null && successRate < 95)) return "degraded";
  return "healthy";
}
