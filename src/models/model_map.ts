/**
 * @module
 * `anthropic.model_map`: client model names → local models. Claude Code sends fixed
 * `claude-*` names (its main model and a Haiku-class one for background work); these name
 * no local model, so each must be mapped, and an unmapped one is refused with the fix
 * rather than reaching a backend as an unknown model.
 */

/** Mapped (or passed through unchanged), or a `claude-*` name nothing maps. */
export type MappedModel = { readonly model: string; readonly mapped: boolean } | { readonly unmapped: string };

/**
 * @param map config's `anthropic.model_map` (exact names win; then globs in order)
 * @param name the model the client asked for
 */
export function mapModel(map: Readonly<Record<string, string>>, name: string): MappedModel {
  const exact = Object.hasOwn(map, name) ? map[name] : undefined;
  if (exact !== undefined) return { model: exact, mapped: true };
  for (const [pattern, model] of Object.entries(map)) {
    if (pattern.includes("*") && globMatches(pattern, name)) return { model, mapped: true };
  }
  if (/^claude-/i.test(name)) return { unmapped: name };
  return { model: name, mapped: false };
}

/** The map's exact (non-glob) names: aliases a model list can show. */
export function exactAliases(map: Readonly<Record<string, string>>): Array<[alias: string, model: string]> {
  return Object.entries(map).filter(([pattern]) => !pattern.includes("*"));
}

function globMatches(pattern: string, name: string): boolean {
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`, "i").test(name);
}
