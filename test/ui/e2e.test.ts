// End to end: `sim run --ui` in a real pseudo-terminal (tmux), a short
// scenario at full speed; the final screen keeps the summary, the checked
// phase table and the verdict, with the same hash as the plain run; q quits.

import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../sim/scenario.ts';
import willOnNodeCrash from '../../scenarios/will-on-node-crash.ts';
import { tool, titled } from '../helpers/tools.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmuxTool = tool('tmux');
const SOCKET = `mqttlab-ui-test-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync(tmuxTool.path ?? 'tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function screenUntil(pred: (s: string) => boolean, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let s = '';
  while (Date.now() < end) {
    s = tmux('capture-pane', '-p', '-t', 'ui');
    if (pred(s)) return s;
    await sleep(200);
  }
  throw new Error(`screen never matched; last screen:\n${s}`);
}

describe.skipIf(!tmuxTool.path)(titled('sim run --ui under tmux', tmuxTool), () => {
  it('watches will-on-node-crash to the end at full speed; the summary stays on screen; q quits', async () => {
    const plain = await runScenario(willOnNodeCrash, 2);
    // ink draws only the last frame when it believes it runs in CI (CI=true, as on the CI machine): unset it for the terminal.
    const cmd = `cd ${JSON.stringify(ROOT)} && env -u CI -u CONTINUOUS_INTEGRATION node bin/sim.js run scenarios/will-on-node-crash.ts --seed 2 --ui --speed max; echo EXIT=$?; sleep 10`;
    tmux('new-session', '-d', '-s', 'ui', '-x', '100', '-y', '30', cmd);
    try {
      // The summary is printed after the last frame: wait for its history line, not only the frame's verdict.
      const screen = await screenUntil((s) => s.includes('verdict') && /hash [0-9a-f]{16}/.test(s), 45_000);
      const lines = screen.split('\n');
      expect(lines[0]).toMatch(/mqttlab ▸ will-on-node-crash {2}seed 2 .* max {2}done/);
      expect(screen).toContain('verdict    PASS');
      expect(screen).toContain(`hash ${plain.hash}`);
      expect(screen).toMatch(
        /message flow .*\n.*phase +published +delivered +inflight +queued +lost +dup +max delay/,
      );
      expect(screen).toMatch(/n1 power loss +0 +\d+ +0 +0 +0 +0 /);
      expect(screen).toMatch(/✓ no-acked-loss ✓ qos2-exactly-once ✓ order ✓ only-subscribed/);
      expect(screen).toMatch(/n1 [●◌‖✕] /);
      expect(screen).toContain('links');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
      // The timeline alone is one key away; scrolled up, it holds the crash.
      tmux('send-keys', '-t', 'ui', 't');
      await screenUntil((s) => !s.includes('verdict'), 5000);
      for (let i = 0; i < 10; i++) tmux('send-keys', '-t', 'ui', 'Up');
      const tl = await screenUntil((s) => /newer/.test(s) && /n1 (killed|loses power)/.test(s), 5000);
      expect(tl).toMatch(/1\.\d{3}s ✕●● n1 (killed \(kill -9\)|loses power)/);
      tmux('send-keys', '-t', 'ui', 'q');
      const after = await screenUntil((s) => s.includes('EXIT='), 5000);
      expect(after).toContain('EXIT=0');
      // The last frame stays on the terminal after quitting (its first line may scroll off for the shell's).
      expect(after).toMatch(/n1 ✕ stopped/);
      expect(after).toContain('checkers');
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    }
  }, 60_000);
});
