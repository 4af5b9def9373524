import net from 'node:net';
import mqtt from 'mqtt';
import { startServer } from '../runtime/server.ts';

async function freePorts(n: number): Promise<number[]> {
  const ss = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => r(s)); })));
  const ps = ss.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(ss.map((s) => new Promise((r) => s.close(r))));
  return ps;
}
const ports = await freePorts(3);
const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
const log = { info: (m: string) => console.log('I', m), warn: (m: string) => console.log('W', m) };
const srvs = [];
for (let i = 0; i < 3; i++) srvs.push(await startServer({ node: `n${i + 1}`, sysInterval: 0, listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }, cluster: { enabled: true, host: '127.0.0.1', port: ports[i], secret: 's', seeds, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000 } }, log));
const t0 = Date.now();
while (!srvs.every((s) => s.cluster!.status().every((m) => m.state === 'running'))) await new Promise((r) => setTimeout(r, 10));
console.log('all running after', Date.now() - t0, srvs.map(s=>JSON.stringify(s.cluster!.status())));
const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${srvs[2].tcpPort}`, { protocolVersion: 5 });
const got: string[] = [];
sub.on('message', (t, p) => got.push(p.toString()));
await sub.subscribeAsync('a/b', { qos: 1 });
while (!srvs[0].cluster!.routes.dump().includes('a/b -> n3')) await new Promise((r) => setTimeout(r, 10));
const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${srvs[0].tcpPort}`, { protocolVersion: 5 });
await pub.publishAsync('a/b', 'hello', { qos: 1 });
while (got.length < 1) await new Promise((r) => setTimeout(r, 10));
console.log('got', got);
await sub.endAsync(); await pub.endAsync();
await Promise.all(srvs.map((s) => s.stop()));
console.log('stopped');
