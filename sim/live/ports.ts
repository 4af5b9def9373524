// Free loopback ports for processes that must be told their ports up front
// (cluster seeds, child processes, the balancer's frontend).
//
// They come from below the kernel's ephemeral range: a port from listen(0) is
// free only until released, and then any outgoing connection of any process
// (a Redis client, an MQTT client in a parallel test) may take it as its local
// port before the process it was meant for listens on it (CI saw EADDRINUSE).
import net from 'node:net';
import { readFileSync } from 'node:fs';

const FLOOR = 10_000; // above the well-known and most registered service ports

/** The first port the kernel hands out for outgoing connections (Linux; 32768 elsewhere). */
function ephemeralStart(): number {
  try {
    const lo = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(lo) && lo > FLOOR + 1000) return lo;
  } catch {
    // not Linux: the IANA default
  }
  return 32_768;
}

const ceiling = ephemeralStart();

function tryListen(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** Distinct free loopback ports outside the ephemeral range: all held open at once, then released. */
export async function freePorts(n: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 200 + 20 * n) throw new Error(`no ${n} free loopback ports in ${FLOOR}..${ceiling - 1}`);
    const port = FLOOR + Math.floor(Math.random() * (ceiling - FLOOR));
    if (ports.includes(port)) continue;
    const s = await tryListen(port);
    if (!s) continue;
    held.push(s);
    ports.push(port);
  }
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
