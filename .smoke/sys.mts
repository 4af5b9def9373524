import net from 'node:net';
import { startServer } from '../runtime/server.ts';
async function freePorts(n: number): Promise<number[]> {
  const ss = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => r(s)); })));
  const ps = ss.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(ss.map((s) => new Promise((r) => s.close(r))));
  return ps;
}
const ports = await freePorts(2);
const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
const log = { info: (m: string) => {}, warn: (m: string) => console.log('W', m) };
const srvs = [];
for (let i = 0; i < 2; i++) srvs.push(await startServer({ node: `n${i + 1}`, sysInterval: 1, listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }, cluster: { enabled: true, host: '127.0.0.1', port: ports[i], secret: 's', seeds, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000 } }, log));
await new Promise((r) => setTimeout(r, 2500));
for (const s of srvs) { const m = s.broker.retained.get('$SYS/broker/uptime'); console.log(s.config.node, 'retained uptime from', m?.receivedAt, 'forwardedOut', s.cluster!.stats.forwardedOut); }
await Promise.all(srvs.map((s) => s.stop()));
