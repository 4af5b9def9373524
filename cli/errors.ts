// The one error formatter of the mqttlab commands: every failure becomes one actionable line and an
// exit code (cli/args.ts EXIT); the stack only with --stack or DEBUG=mqttlab.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/config.ts';
import { EXIT, UsageError } from './args.ts';

/** A file or module that could not be loaded, already phrased for the user: exit 3. */
export class LoadError extends Error {
  override name = 'LoadError';
}

const ERRNO: Record<string, string> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'not found (a part of the path is not a directory)',
};

/** "not found", "permission denied"... for a file system error, else its message. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && ERRNO[code]) ?? (e as Error)?.message ?? String(e);
}

/** Reads a text file; a failure is a LoadError "LABEL FILE: not found". */
export function readText(label: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new LoadError(`${label} ${file}: ${errnoText(e)}`);
  }
}

/**
 * A TypeScript syntax error as "file:line:col: message": esbuild's (tsx) "/x.ts:2:9: ERROR: Unexpected ..."
 * or oxc's (vite, under vitest) "[PARSE_ERROR] Unexpected token ... [ x.ts:2:10 ]".
 */
function transformError(e: Error): string | undefined {
  const text = e.message.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = [...text.matchAll(/^(.+:\d+:\d+): ERROR: (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
  if (lines.length) return lines.join('\n');
  const oxc = /\[\w+_ERROR\]\s*(.*)\n[\s\S]*?\[\s*(\S+:\d+:\d+)\s*\]/.exec(text);
  return oxc ? `${oxc[2]}: ${oxc[1]}` : undefined;
}

export function debugging(argv: string[] = []): boolean {
  return argv.includes('--stack') || /(^|,)\s*mqttlab\b/.test(process.env.DEBUG ?? '');
}

/** The message and exit code of a failure. */
export function formatError(e: unknown): { text: string; code: number } {
  if (e instanceof UsageError) return { text: e.message, code: EXIT.USAGE };
  if (!(e instanceof Error)) return { text: `error: ${String(e)}`, code: EXIT.ERROR };
  if (e instanceof LoadError || e instanceof ConfigError || e.name === 'DataDirLockedError')
    return { text: e.message, code: EXIT.ERROR };
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (
    err.code === 'EADDRINUSE' ||
    err.code === 'EADDRNOTAVAIL' ||
    (err.code === 'EACCES' && err.syscall === 'listen')
  ) {
    const where = err.address !== undefined ? `${err.address}:${err.port}` : err.message;
    const why =
      err.code === 'EADDRINUSE'
        ? 'address already in use'
        : err.code === 'EACCES'
          ? 'permission denied'
          : 'address not available';
    return { text: `cannot listen on ${where}: ${why}`, code: EXIT.ERROR };
  }
  if (err.path && err.code && ERRNO[err.code])
    return { text: `${err.path}: ${ERRNO[err.code]}`, code: EXIT.ERROR };
  if (err.code === 'ERR_MODULE_NOT_FOUND') return { text: e.message.split('\n')[0], code: EXIT.ERROR };
  const t = e.name === 'TransformError' || /Transform failed/.test(e.message) ? transformError(e) : undefined;
  if (t) return { text: t, code: EXIT.ERROR };
  return { text: `error: ${e.message} (run with --stack for the stack trace)`, code: EXIT.ERROR };
}

/**
 * Runs a command's main with the common error handling: prints the formatted error (and the stack when
 * debugging) and returns the exit code. `--stack` is taken out of argv here, so every command accepts it.
 */
export async function runCli(argv: string[], main: (argv: string[]) => Promise<number>): Promise<number> {
  const stack = debugging(argv);
  try {
    return await main(argv.filter((a) => a !== '--stack'));
  } catch (e) {
    const f = formatError(e);
    console.error(f.text);
    if (stack && e instanceof Error && e.stack) console.error(e.stack);
    return f.code;
  }
}
