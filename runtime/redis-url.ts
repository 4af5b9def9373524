// The session store's Redis URL as ioredis options: a plain server (redis://, rediss://) or a master
// found through Redis Sentinel (redis+sentinel://[:password@]host:port[,host:port...]/<master>[/<db>]),
// which ioredis follows across a failover (it asks the sentinels for the new master and reconnects).

import type { RedisOptions } from 'ioredis';

export const SENTINEL_SCHEME = 'redis+sentinel://';

/** ioredis options for `url` (merged over `base`), or a one-line reason it is not a store URL. */
export function redisOptions(url: string, base: RedisOptions): RedisOptions | string {
  if (!url.startsWith(SENTINEL_SCHEME)) return base;
  const rest = url.slice(SENTINEL_SCHEME.length);
  const at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length : rest.indexOf('/'));
  const auth = at >= 0 ? decodeURIComponent(rest.slice(0, at)) : '';
  const [hosts, name, db, ...more] = rest.slice(at + 1).split('/');
  if (!name || more.length > 0 || (db !== undefined && db !== '' && !/^\d+$/.test(db)))
    return `${url}: expected ${SENTINEL_SCHEME}host:port[,host:port...]/<master name>[/<db>]`;
  const sentinels: { host: string; port: number }[] = [];
  for (const h of hosts.split(',')) {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
    if (!m) return `${url}: bad sentinel address ${JSON.stringify(h)} (host:port)`;
    sentinels.push({ host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 26379 });
  }
  const [username, ...pw] = auth.split(':');
  const password = pw.join(':');
  return {
    ...base,
    sentinels,
    name: decodeURIComponent(name),
    db: db ? Number(db) : 0,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}
