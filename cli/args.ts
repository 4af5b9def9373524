// The command-line kit of every mqttlab command (mqttlab, sim, runtime): a command is a declarative
// flag table; parsing, validation, --help text and "did you mean" come from it. Adding a flag is one
// line in a table. Exit codes are the same for all commands (EXIT below, docs/cli.md).

/** 0 pass, 1 verdict FAIL (a violation, a diverging replay, a refused operation), 2 usage, 3 load or internal error. */
export const EXIT = { PASS: 0, FAIL: 1, USAGE: 2, ERROR: 3 } as const;

/** A mistake on the command line: one line on stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Flag {
  /** strings: repeatable; int/number: validated, parsed to a number. */
  type: 'boolean' | 'string' | 'strings' | 'int' | 'number';
  short?: string;
  /** Name of the value in the help text (FILE, N, ...). */
  arg?: string;
  help: string;
  /** Shown in the help text and used when the flag is absent. */
  default?: string | number;
  /** Smallest accepted value of an int/number flag. */
  min?: number;
  /** Heading of the help section the flag is listed under (default "options"). */
  group?: string;
}
export type Flags = Record<string, Flag>;

type ValueOf<F extends Flag> = F['type'] extends 'boolean'
  ? boolean
  : F['type'] extends 'strings'
    ? string[]
    : F['type'] extends 'int' | 'number'
      ? F extends { default: number }
        ? number
        : number | undefined
      : F extends { default: string }
        ? string
        : string | undefined;
export type Values<F extends Flags> = { -readonly [K in keyof F]: ValueOf<F[K]> };

/** A command's flag table and help; `prog` (its full name, e.g. "mqttlab sim run") comes from the dispatcher. */
export interface Command<F extends Flags = Flags> {
  /** Positional arguments in the usage line, e.g. "FILE". */
  args?: string;
  summary: string;
  flags: F;
  /** Text after the flags in --help. */
  more?: string;
}

export function defineCommand<const F extends Flags>(c: Command<F>): Command<F> {
  return c;
}

export const HELP_FLAG: Flag = { type: 'boolean', short: 'h', help: 'show this help' };

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** The closest of `candidates` to `word`, if close enough to be a typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dd = c.startsWith(word) || word.startsWith(c) ? 1 : distance(word.toLowerCase(), c.toLowerCase());
    if (dd < bestD) [best, bestD] = [c, dd];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export const didYouMean = (word: string, candidates: Iterable<string>, prefix = ''): string => {
  const c = closest(word, candidates);
  return c ? ` (did you mean ${prefix}${c}?)` : '';
};

function convert(name: string, f: Flag, raw: string): string | number {
  if (f.type !== 'int' && f.type !== 'number') return raw;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} ${JSON.stringify(raw)}: expected ${f.type === 'int' ? 'an integer' : 'a number'}`,
    );
  }
  if (f.min !== undefined && n < f.min)
    throw new UsageError(`--${name} ${raw}: expected a number >= ${f.min}`);
  return n;
}

export interface Parsed<F extends Flags> {
  values: Values<F>;
  positionals: string[];
  /** -h/--help was given: print help(cmd) and exit 0. */
  help: boolean;
}

/** Parses argv against the command's flag table; throws UsageError with one line and a suggestion. */
export function parse<F extends Flags>(cmd: Command<F>, argv: string[], prog: string): Parsed<F> {
  const flags: Flags = cmd.flags;
  const byShort = new Map(
    Object.entries(flags).flatMap(([n, f]) => (f.short ? [[f.short, n] as const] : [])),
  );
  const values: Record<string, unknown> = {};
  for (const [n, f] of Object.entries(flags))
    values[n] =
      f.type === 'strings'
        ? []
        : f.type === 'boolean'
          ? false
          : f.default === undefined
            ? undefined
            : convert(n, f, String(f.default));
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--')
      ? a.slice(2, eq < 0 ? undefined : eq)
      : (byShort.get(a.slice(1, 2)) ?? '');
    let inline: string | undefined =
      eq < 0 ? (a.startsWith('--') || a.length === 2 ? undefined : a.slice(2)) : a.slice(eq + 1);
    const f = flags[name];
    if (!f) {
      const shown = a.startsWith('--') ? `--${name}` : a;
      throw new UsageError(
        `${prog}: unknown option ${shown}${didYouMean(name || a.slice(1), Object.keys(flags), '--')}; see --help`,
      );
    }
    if (f.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value${f.arg ? ` (${f.arg})` : ''}`);
      inline = argv[++i];
    }
    const v = convert(name, f, inline);
    if (f.type === 'strings') (values[name] as string[]).push(v as string);
    else values[name] = v;
  }
  return { values: values as Values<F>, positionals, help };
}

/** parse(), except that -h/--help prints the help text and gives null: the command returns EXIT.PASS. */
export function parseOrHelp<F extends Flags>(
  cmd: Command<F>,
  argv: string[],
  prog: string,
): Parsed<F> | null {
  const p = parse(cmd, argv, prog);
  if (!p.help) return p;
  console.log(help(cmd, prog));
  return null;
}

/** The --help text: usage line, summary, flags grouped under their headings, then `more`. */
export function help(cmd: Command, prog: string): string {
  const label = (n: string, f: Flag) =>
    `${f.short ? `-${f.short}, ` : ''}--${n}${f.type === 'boolean' ? '' : ` ${f.arg ?? (f.type === 'int' || f.type === 'number' ? 'N' : 'VALUE')}`}`;
  const entries = [...Object.entries(cmd.flags), ['help', HELP_FLAG] as [string, Flag]];
  const width = Math.min(28, Math.max(...entries.map(([n, f]) => label(n, f).length)) + 2);
  const groups = new Map<string, string[]>();
  for (const [n, f] of entries) {
    const l = label(n, f);
    const text =
      f.help +
      (f.default !== undefined ? ` (default ${f.default})` : '') +
      (f.type === 'strings' ? ' (repeatable)' : '');
    const line = l.length < width ? `  ${l.padEnd(width)}${text}` : `  ${l}\n  ${' '.repeat(width)}${text}`;
    const g = f.group ?? 'options';
    groups.set(g, [...(groups.get(g) ?? []), line]);
  }
  const out = [`usage: ${prog}${cmd.args ? ` ${cmd.args}` : ''} [options]`, '', cmd.summary];
  for (const [g, lines] of groups) out.push('', `${g}:`, ...lines);
  if (cmd.more) out.push('', cmd.more.trimEnd());
  return out.join('\n');
}

/** A command with subcommands: `prog NAME ...`. */
export interface Group {
  summary: string;
  commands: Record<string, { summary: string; run(argv: string[], prog: string): Promise<number> }>;
  more?: string;
}

export function groupHelp(g: Group, prog: string): string {
  const w = Math.max(...Object.keys(g.commands).map((n) => n.length)) + 2;
  const lines = Object.entries(g.commands).map(([n, c]) => `  ${n.padEnd(w)}${c.summary}`);
  return [
    `usage: ${prog} <command> [options]`,
    '',
    g.summary,
    '',
    'commands:',
    ...lines,
    '',
    `"${prog} <command> --help" for a command's options.`,
    ...(g.more ? ['', g.more.trimEnd()] : []),
  ].join('\n');
}

/** Runs the subcommand argv[0] names; help, version and unknown commands handled here. */
export async function dispatch(g: Group, argv: string[], prog: string, version: string): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    console.error(groupHelp(g, prog));
    return EXIT.USAGE;
  }
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    console.log(groupHelp(g, prog));
    return EXIT.PASS;
  }
  if (cmd === '-V' || cmd === '--version' || cmd === 'version') {
    console.log(version);
    return EXIT.PASS;
  }
  const c = g.commands[cmd];
  if (!c)
    throw new UsageError(
      `${prog}: unknown ${cmd.startsWith('-') ? 'option' : 'command'} ${cmd}${didYouMean(cmd, Object.keys(g.commands))}; see ${prog} --help`,
    );
  return c.run(rest, `${prog} ${cmd}`);
}
