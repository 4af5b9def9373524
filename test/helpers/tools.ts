// Debian tools some tests drive (mosquitto_sub, haproxy, tmux, openssl...). `npm test` must pass on a
// machine with only Node, npm and git: a test needing a missing tool skips with a one-line reason
// naming the package. Every such test finds its tool through tool() below, so a bare machine can be
// simulated on a full one: MQTTLAB_TEST_HIDE_TOOLS=all (or a comma-separated list of commands).

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The Debian package of each tool a test uses. */
export const PACKAGES = {
  mosquitto: 'mosquitto',
  mosquitto_sub: 'mosquitto-clients',
  mosquitto_pub: 'mosquitto-clients',
  haproxy: 'haproxy',
  tmux: 'tmux',
  openssl: 'openssl',
  chromium: 'chromium',
  promtool: 'prometheus',
  'redis-server': 'redis-server',
} as const;
export type ToolName = keyof typeof PACKAGES;

export interface Tool {
  /** Absolute path of the executable, or null when it is missing (or hidden). */
  path: string | null;
  /** "SKIPPED: mosquitto_sub not found (apt-get install mosquitto-clients)", or '' when present. */
  reason: string;
}

function hidden(cmd: string): boolean {
  const h = (process.env.MQTTLAB_TEST_HIDE_TOOLS ?? '').split(',').map((s) => s.trim());
  return h.includes('all') || h.includes(cmd);
}

/** Looks `cmd` up on the PATH and in the sbin directories (daemons live there on Debian). */
export function tool(cmd: ToolName): Tool {
  const reason = `SKIPPED: ${cmd} not found (apt-get install ${PACKAGES[cmd]})`;
  if (hidden(cmd)) return { path: null, reason };
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs.filter(Boolean)) {
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return { path: p, reason: '' };
    } catch {
      // not in this directory
    }
  }
  return { path: null, reason };
}

/** All of `cmds` found, or the reason naming the first missing one. */
export function tools(...cmds: ToolName[]): { ok: boolean; reason: string; path: (cmd: ToolName) => string } {
  const found = cmds.map((c) => [c, tool(c)] as const);
  const missing = found.find(([, t]) => !t.path);
  return {
    ok: !missing,
    reason: missing ? missing[1].reason : '',
    path: (cmd) => found.find(([c]) => c === cmd)?.[1].path ?? cmd,
  };
}

/** A describe/it title with the skip reason appended when the tool is missing. */
export function titled(title: string, t: { reason: string }): string {
  return t.reason ? `${title} (${t.reason})` : title;
}
