// The interactive shell around Screen: follows the terminal size, keeps the
// timeline scroll position, forwards the source's own keys, quits on q.
// Rendering is throttled (12 fps; the simulation hands over at most 10
// snapshots) and each frame is one write of a block one line shorter than
// the terminal (a full-height frame makes ink clear the screen: flicker).
// Ink 6.8's incrementalRendering leaves a stale first line when the frame
// ends in a newline, so the plain erase-and-write mode is used.

import { useEffect, useState, useSyncExternalStore } from 'react';
import { render, useApp, useInput, useStdout, type Key } from 'ink';
import { Screen } from './screen.tsx';
import type { UiSource } from './source.ts';

function useSize(): { cols: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => void stdout.off('resize', on);
  }, [stdout]);
  return size;
}

export function App({ source, onQuit }: { source: UiSource; onQuit?: () => void }) {
  const state = useSyncExternalStore(
    (fn) => source.subscribe(fn),
    () => source.current(),
  );
  const { cols, rows } = useSize();
  const [scroll, setScroll] = useState(0);
  const [showTimeline, setShowTimeline] = useState(false);
  const { exit } = useApp();
  useInput((raw, key) => {
    // Keys typed faster than a frame arrive as one string: take them one by one.
    const chars = raw.length > 1 && !key.ctrl && !key.meta ? [...raw] : [raw];
    for (const input of chars) onKey(input, key);
  });
  function onKey(input: string, key: Key): void {
    if (input === 'q' || (key.ctrl && input === 'c') || key.escape) {
      source.close();
      onQuit?.();
      exit();
      return;
    }
    if (key.upArrow) return setScroll((s) => Math.min(s + 1, Math.max(0, state.timeline.length - 1)));
    if (key.downArrow) return setScroll((s) => Math.max(0, s - 1));
    if (input === 't') return setShowTimeline((v) => !v);
    source.key({
      input,
      leftArrow: key.leftArrow,
      rightArrow: key.rightArrow,
      pageUp: key.pageUp,
      pageDown: key.pageDown,
      home: key.home,
      end: key.end,
    });
  }
  return <Screen state={state} cols={cols} rows={rows} scroll={scroll} showTimeline={showTimeline} />;
}

/** Renders the app on the terminal until the user quits; the last frame stays on screen. */
export async function runApp(source: UiSource): Promise<void> {
  // Start at the top of a clear screen so the frame never makes the terminal scroll.
  process.stdout.write('\x1b[2J\x1b[3J\x1b[H');
  const inst = render(<App source={source} />, {
    exitOnCtrlC: false,
    maxFps: 12,
    incrementalRendering: false,
    patchConsole: true,
  });
  await inst.waitUntilExit();
}
