// `runtime passwd FILE USER [--password P | --delete]`: adds, changes or
// removes a user of a password file. Without --password the password is
// read from stdin (first line) or, on a terminal, prompted for twice
// without echo. Never prints the password or the hash.

import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { setPassword } from './auth.ts';
import { ConfigError } from '../core/config.ts';

export const PASSWD_USAGE = `usage: runtime passwd FILE USER [--password P]   add USER or change its password
       runtime passwd FILE USER --delete         remove USER

FILE holds one "user:scrypt$N$r$p$salt$hash" line per user (created if missing, mode 0600).
Without --password the password is read from stdin, or prompted for on a terminal.`;

export async function passwd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { password: { type: 'string' }, delete: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(PASSWD_USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    console.error(PASSWD_USAGE);
    return 1;
  }
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
