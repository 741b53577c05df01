/**
 * @module
 * The command line, parsed into one {@link Command}. No I/O here: `main.ts` acts on the result.
 */
import { NAME, VERSION } from "../version.ts";

/** What the process was asked to do. */
export type Command =
  | { readonly kind: "serve"; readonly configPath?: string; readonly watch: boolean }
  | { readonly kind: "validate-config"; readonly configPath?: string }
  | { readonly kind: "print-config"; readonly configPath?: string }
  | { readonly kind: "healthcheck"; readonly configPath?: string; readonly url?: string }
  | { readonly kind: "version" }
  | { readonly kind: "help" }
  /** Bad usage: print `message` and the usage, exit 2. */
  | { readonly kind: "usage-error"; readonly message: string };

export const USAGE = `${NAME} ${VERSION} — load balancer for self-hosted LLM inference (Olla-compatible)

Usage: tureen [--config PATH] [--watch]      serve
       tureen --validate-config [--config PATH]
       tureen --print-config [--config PATH]
       tureen healthcheck [--url URL] [--config PATH]
       tureen --version | --help

  -c, --config PATH     config file (default: $OLLA_CONFIG_FILE, then config/config.local.yaml,
                        config/config.yaml, config.yaml, default.yaml; built-in defaults if none)
  --watch               reload when the config file changes (checked every second); SIGHUP always reloads
  --validate-config     check the config, list every problem, exit 0 (valid) or 1
  --print-config        print the effective config (file + OLLA_* overrides + defaults) as YAML,
                        header and auth values shown as "***"
  healthcheck           exit 0 when GET /internal/health answers 200 within 2 s, else 1; the URL
                        defaults to the config's server.host:port (0.0.0.0 and :: mean 127.0.0.1)
  --url URL             healthcheck: the server's base URL, e.g. http://127.0.0.1:40114
  -v, --version         print the version
  -h, --help            print this help

Signals: SIGTERM/SIGINT drain in-flight requests for server.shutdown_timeout, then exit 0 (a second
signal exits 1 at once); SIGHUP reloads the config file.
`;

/** Parse the arguments after the program name. Never throws. */
export function parseArgs(argv: readonly string[]): Command {
  let configPath: string | undefined;
  let url: string | undefined;
  let watch = false;
  let subcommand: "healthcheck" | undefined;
  const modes = new Set<"validate-config" | "print-config">();
  let help = false;
  let version = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = (): string | { error: string } => {
      if (inline !== undefined) return inline === "" ? { error: `${flag} needs a value` } : inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("-")) return { error: `${flag} needs a value` };
      i++;
      return next;
    };
    switch (flag) {
      case "-c":
      case "--config": {
        const v = value();
        if (typeof v !== "string") return usageError(`${v.error}: the path of a config file`);
        configPath = v;
        break;
      }
      case "--url": {
        const v = value();
        if (typeof v !== "string") return usageError(`${v.error}: a base URL such as http://127.0.0.1:40114`);
        url = v;
        break;
      }
      case "--watch":
        watch = true;
        break;
      case "--validate-config":
        modes.add("validate-config");
        break;
      case "--print-config":
        modes.add("print-config");
        break;
      case "-h":
      case "--help":
        help = true;
        break;
      case "-v":
      case "--version":
        version = true;
        break;
      default:
        if (arg === "healthcheck" && subcommand === undefined && i === firstPositional(argv)) {
          subcommand = "healthcheck";
          break;
        }
        return usageError(`unknown argument "${arg}"`);
    }
    if (inline !== undefined && flag !== "--config" && flag !== "--url") {
      return usageError(`${flag} takes no value`);
    }
  }

  if (help) return { kind: "help" };
  if (version) return { kind: "version" };
  if (modes.size > 1) return usageError("--validate-config and --print-config cannot be combined: choose one");
  const mode = [...modes][0];
  if (subcommand === "healthcheck") {
    if (mode) return usageError(`--${mode} cannot be combined with healthcheck`);
    if (watch) return usageError("--watch cannot be combined with healthcheck");
    if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) {
      return usageError(`--url "${url}" is not an http(s) URL: use e.g. http://127.0.0.1:40114`);
    }
    return { kind: "healthcheck", configPath, url };
  }
  if (url !== undefined) return usageError("--url is only for the healthcheck subcommand");
  if (mode) {
    if (watch) return usageError(`--watch cannot be combined with --${mode}`);
    return { kind: mode, configPath };
  }
  return { kind: "serve", configPath, watch };
}

function usageError(message: string): Command {
  return { kind: "usage-error", message };
}

/** Index of the first argument that is neither a flag nor a flag's value. */
function firstPositional(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((arg === "--config" || arg === "-c" || arg === "--url") && argv[i + 1] !== undefined) {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return i;
  }
  return -1;
}
