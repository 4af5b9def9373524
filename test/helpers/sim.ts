// Small helpers for the simulator tests: a world that keeps its history,
// history queries, and access to a broker's view of one client.

import { World, type WorldOptions } from '../../sim/world.ts';
import type { At, Ev, EventOf, HistoryEvent } from '../../sim/events.ts';
import type { Connection } from '../../core/connection.ts';

export type { Ev };

/** A world that keeps history lines and events (seed 1 unless given). */
export function makeWorld(opts: Partial<Omit<WorldOptions, 'history'>> = {}): World {
  return new World({ seed: 1, ...opts, history: { keepEvents: true, keepLines: true } });
}

/** History events of one type, optionally filtered by field values. */
export function events<T extends HistoryEvent['type']>(
  w: World,
  type: T,
  match: Partial<EventOf<T>> = {},
): At<EventOf<T>>[] {
  return w.history.events.filter(
    (e): e is Ev & At<EventOf<T>> =>
      e.type === type && Object.entries(match).every(([k, v]) => Reflect.get(e, k) === v),
  );
}

/** The broker's live connection of `clientId` on `node`, if any. */
export function connOf(w: World, node: string, clientId: string): Connection | undefined {
  return [...w.broker(node).connections].find((c) => c.clientId === clientId && c.state === 'connected');
}

/** Runs the world until `pred` holds; fails the test if it does not within `timeoutMs`. */
export async function settle(
  w: World,
  pred: () => boolean,
  timeoutMs: number,
  label = 'condition',
): Promise<void> {
  const ok = await w.until(pred, { timeoutMs });
  if (!ok) throw new Error(`timed out after ${timeoutMs} virtual ms waiting for ${label}`);
}

/** Records every disconnect the broker on `node` reports, with virtual time. */
export function watchDisconnects(w: World, node: string): { c: string; cause: string; t: number }[] {
  const out: { c: string; cause: string; t: number }[] = [];
  w.broker(node).hooks.onDisconnect = (c, cause) => out.push({ c, cause, t: w.now });
  return out;
}
