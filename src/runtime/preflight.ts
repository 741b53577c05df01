/**
 * @module
 * The first module main.ts loads, before any dependency: on Bun, re-execute the process
 * once with BUN_CONFIG_MAX_HTTP_REQUESTS raised. Bun queues fetches beyond 256 in flight,
 * which would silently serialise the 257th concurrent stream (and health probes behind
 * them), and it reads the variable when its HTTP client starts, before script code can
 * set it. `execve` keeps the PID (systemd and containers see one process); doing it here,
 * before the rest is parsed, keeps the cost to a few milliseconds.
 */

const FETCH_CAP = "BUN_CONFIG_MAX_HTTP_REQUESTS";

interface BunProcess {
  env: Record<string, string | undefined>;
  argv: string[];
  execArgv: string[];
  execPath: string;
  execve?: (file: string, args: string[], env: Record<string, string | undefined>) => never;
}

const proc = (globalThis as { process?: BunProcess }).process;
if ("Bun" in globalThis && proc && !proc.env[FETCH_CAP] && typeof proc.execve === "function") {
  // A compiled binary re-adds its embedded entry point itself; `bun main.ts` needs the script path.
  const compiled = (proc.argv[1] ?? "").startsWith("/$bunfs/");
  const args = compiled ? proc.argv.slice(2) : proc.argv.slice(1);
  // Bun's own flags (--smol, --cpu-prof, ...) come along.
  proc.execve(proc.execPath, [proc.execPath, ...proc.execArgv, ...args], { ...proc.env, [FETCH_CAP]: "65535" });
}

export {};
