/**
 * @module
 * Structured logs: one JSON object per line by default, readable text for a person at a
 * terminal. Lower-case messages, facts in fields.
 */

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, unknown>;

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  enabled(level: Level): boolean;
}

export interface LoggerOptions {
  level: Level;
  format: "json" | "text";
  write: (line: string) => void;
  /** Injected for tests. */
  now?: () => Date;
}

/** Create a logger that writes whole lines through `write`. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const now = options.now ?? (() => new Date());
  const render = options.format === "json" ? renderJson : renderText;
  const log = (level: Level) => (message: string, fields?: Fields) => {
    if (RANK[level] < threshold) return;
    options.write(render(now(), level, message, fields));
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    enabled: (level) => RANK[level] >= threshold,
  };
}

function renderJson(time: Date, level: Level, message: string, fields?: Fields): string {
  return JSON.stringify({ time: time.toISOString(), level, msg: message, ...fields }, errorReplacer) + "\n";
}

function renderText(time: Date, level: Level, message: string, fields?: Fields): string {
  let line = `${time.toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${message}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value, errorReplacer);
    line += ` ${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`;
  }
  return line + "\n";
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  return value;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  enabled: () => false,
};
