// The runtime's one log format: a line per event, text
//   2026-12-02T17:41:58.123Z info [n1] cluster nodeup node=n2
// or JSON lines
//   {"time":"2026-12-02T17:41:58.123Z","level":"info","node":"n1","msg":"cluster nodeup node=n2"}
// info (and debug) to stdout, warn and error to stderr; below `level` nothing
// is written. No library: two levels are used and a line is one write (pino's
// speed is not needed at this volume, its pretty-printer would be another dependency).

import type { Logger } from '../core/env.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RuntimeLogger extends Logger {
  debug(msg: string): void;
  error(msg: string): void;
}

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
  /** Node name: a field of its own in JSON (a leading "[node] " is taken out of the message). */
  node?: string;
  /** Where lines go (tests); default stdout for debug/info, stderr for warn/error. */
  write?: (line: string, level: Exclude<LogLevel, 'silent'>) => void;
}

const rank = (l: LogLevel) => LOG_LEVELS.indexOf(l);

function defaultWrite(line: string, level: Exclude<LogLevel, 'silent'>): void {
  (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(line + '\n');
}

export function createLogger(o: LogOptions): RuntimeLogger {
  const write = o.write ?? defaultWrite;
  const prefix = o.node !== undefined ? `[${o.node}] ` : null;
  const line = (level: Exclude<LogLevel, 'silent'>) => {
    if (rank(level) < rank(o.level)) return () => {};
    if (o.format === 'text')
      return (msg: string) =>
        write(`${new Date().toISOString()} ${level} ${msg.replace(/\n/g, '\\n')}`, level);
    return (msg: string) => {
      const own = prefix !== null && msg.startsWith(prefix);
      const rec: Record<string, string> = { time: new Date().toISOString(), level };
      if (o.node !== undefined) rec.node = o.node;
      rec.msg = own ? msg.slice(prefix!.length) : msg;
      write(JSON.stringify(rec), level);
    };
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
