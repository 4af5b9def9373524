// A node's session store in Redis (config store.kind: redis, --session-store URL): the Redis link and
// the core's ExternalStorage over it, opened before the broker starts.

import { ExternalStorage } from '../core/external-storage.ts';
import type { Env, Logger } from '../core/env.ts';
import type { RuntimeStoreConfig } from './config.ts';
import { RedisLink } from './redis-link.ts';

/** How long a stop waits for writes Redis has not confirmed. */
const CLOSE_FLUSH_MS = 2000;

export interface RedisStore {
  link: RedisLink;
  storage: ExternalStorage;
  /** Waits (bounded) for what is unconfirmed, then closes the connection. */
  close(): Promise<void>;
}

/** Connects to Redis, reads the retained messages, and sets `env.storage`. */
export async function openRedisStore(
  cfg: RuntimeStoreConfig,
  env: Env,
  log: Logger,
  node = '',
): Promise<RedisStore> {
  const link = new RedisLink(cfg.url, cfg.keyPrefix, log);
  try {
    await link.open();
  } catch (e) {
    link.disconnect();
    throw new Error(`session store ${cfg.url}: cannot connect: ${(e as Error).message}`);
  }
  const retained = await link.loadRetained();
  const storage = new ExternalStorage(link, env.clock, retained, cfg.loadTimeoutMs, node, {
    maxHeld: cfg.maxHeld,
    maxHeldBytes: cfg.maxHeldBytes,
  });
  link.results = storage;
  env.storage = storage;
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      storage.sync();
      const flushed = new Promise<boolean>((r) => storage.whenDurable(() => r(true)));
      const late = new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_FLUSH_MS).unref());
      if (!(await Promise.race([flushed, late])))
        log.warn(`session store ${cfg.url}: ${storage.unconfirmed} writes unconfirmed at stop`);
      await link.close();
    })());
  return { link, storage, close };
}
