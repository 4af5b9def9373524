// `runtime passwd FILE USER [--password P | --delete]`: adds, changes or
// removes a user of a password file. Without --password the password is
// read from stdin (first line) or, on a terminal, prompted for twice
// without echo. Never prints the password or the hash.

import { EXIT, UsageError, defineCommand, parseOrHelp } from '../cli/args.ts';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { setPassword } from './auth.ts';
import { ConfigError } from '../core/config.ts';

export const PASSWD = defineCommand({
  args: 'FILE USER',
  summary: `Add USER to a password file or change its password (--delete: remove USER).
FILE holds one "user:scrypt$N$r$p$salt$hash" line per user (created if missing, mode 0600).
Without --password the password is read from stdin, or prompted for on a terminal.`,
  flags: {
    password: {
      type: 'string',
      arg: 'P',
      help: 'the password (visible in the process list: prefer stdin or the prompt)',
    },
    delete: { type: 'boolean', help: 'remove USER' },
  },
  more: 'Exit codes: 0 done, 1 no such user (--delete), 2 usage, 3 the file cannot be written.',
});

export async function passwd(argv: string[], prog = 'runtime passwd'): Promise<number> {
  const parsed = parseOrHelp(PASSWD, argv, prog);
  if (!parsed) return EXIT.PASS;
  const { values, positionals } = parsed;
  if (positionals.length !== 2)
    throw new UsageError(
      `${prog}: needs FILE and USER (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}); see --help`,
    );
  const [file, user] = positionals;
  if (values.delete) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : [];
    const kept = lines.filter((l) => !l.trim().startsWith(`${user}:`));
    if (kept.length === lines.length) {
      console.error(`${file}: no user ${JSON.stringify(user)}`);
      return 1;
    }
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, kept.join('\n').replace(/\n*$/, '\n'), { mode: 0o600 });
    renameSync(tmp, file);
    console.log(`${file}: removed ${user}`);
    return 0;
  }
  const password = values.password ?? (process.stdin.isTTY ? await prompt() : await firstLine());
  if (password === '') throw new ConfigError(['password must not be empty']);
  setPassword(file, user, password);
  console.log(`${file}: set password of ${user}`);
  return 0;
}

function firstLine(): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c) => (data += c));
    process.stdin.on('end', () => resolve(data.split(/\r?\n/)[0]));
  });
}

async function prompt(): Promise<string> {
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      const out = process.stdout;
      const rl = createInterface({ input: process.stdin, output: out, terminal: true });
      // Mute echo: readline writes typed characters through _writeToOutput.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(q)) out.write(q);
      };
      rl.question(q, (a) => {
        rl.close();
        out.write('\n');
        resolve(a);
      });
    });
  const a = await ask('Password: ');
  const b = await ask('Again: ');
  if (a !== b) throw new ConfigError(['passwords differ']);
  return a;
}
