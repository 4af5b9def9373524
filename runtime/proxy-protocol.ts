// PROXY protocol v1 (text) and v2 (binary) headers, as HAProxy sends them
// in front of a TCP listener (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt):
// the client's own address, so ACLs, bans and logs see it instead of the
// balancer's. The header precedes the first MQTT byte; a connection whose
// header is missing or malformed is closed.

import type net from 'node:net';

/** Where the connection really comes from; undefined = the socket's own peer (LOCAL / UNKNOWN: health checks). */
export type ProxySource = { address: string; port: number } | undefined;

export type ProxyParse =
  | { state: 'more' }
  | { state: 'done'; source: ProxySource; rest: Buffer }
  | { state: 'error'; reason: string };

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107; // "PROXY TCP6 <39> <39> 65535 65535\r\n"
/** Larger v2 headers (TLVs beyond what HAProxy sends) are refused rather than buffered. */
const V2_MAX_BODY = 4096;

/**
 * Parses the header at the start of `buf` (all bytes received so far).
 * `optional`: a connection may also start straight with MQTT (whose first
 * byte, a packet type, is never 'P' or CR), then the socket's peer stands.
 */
export function parseProxyHeader(buf: Buffer, optional = false): ProxyParse {
  if (optional && buf.length > 0 && buf[0] !== 0x50 && buf[0] !== 0x0d)
    return { state: 'done', source: undefined, rest: buf };
  const n = Math.min(buf.length, V2_SIG.length);
  if (buf.subarray(0, n).equals(V2_SIG.subarray(0, n)))
    return buf.length < 16 ? { state: 'more' } : parseV2(buf);
  const p = Math.min(buf.length, 6);
  if (buf.subarray(0, p).toString('latin1') !== 'PROXY '.slice(0, p))
    return {
      state: 'error',
      reason: 'no PROXY protocol header (listeners.tcp.proxyProtocol is on: connect through the balancer)',
    };
  const end = buf.indexOf('\r\n');
  if (end < 0)
    return buf.length >= V1_MAX
      ? { state: 'error', reason: `PROXY v1 header longer than ${V1_MAX} bytes` }
      : { state: 'more' };
  return parseV1(buf.subarray(0, end).toString('latin1'), buf.subarray(end + 2));
}

function parseV1(line: string, rest: Buffer): ProxyParse {
  const f = line.split(' ');
  if (f[1] === 'UNKNOWN') return { state: 'done', source: undefined, rest };
  if (f.length !== 6 || (f[1] !== 'TCP4' && f[1] !== 'TCP6'))
    return { state: 'error', reason: `bad PROXY v1 header ${JSON.stringify(line.slice(0, 60))}` };
  const [, proto, src, , sport, dport] = f;
  const ok4 =
    proto === 'TCP4' &&
    /^(\d{1,3})(\.\d{1,3}){3}$/.test(src) &&
    src.split('.').every((o) => Number(o) <= 255);
  const ok6 = proto === 'TCP6' && /^[0-9a-fA-F:.]{2,45}$/.test(src) && src.includes(':');
  if (!ok4 && !ok6)
    return { state: 'error', reason: `bad PROXY v1 source address ${JSON.stringify(src.slice(0, 45))}` };
  for (const p of [sport, dport])
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535)
      return { state: 'error', reason: `bad PROXY v1 port ${JSON.stringify(p.slice(0, 10))}` };
  return { state: 'done', source: { address: src, port: Number(sport) }, rest };
}

function parseV2(buf: Buffer): ProxyParse {
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return { state: 'error', reason: `bad PROXY v2 version ${verCmd >> 4}` };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { state: 'error', reason: `bad PROXY v2 command ${cmd}` };
  const len = buf.readUInt16BE(14);
  if (len > V2_MAX_BODY)
    return { state: 'error', reason: `PROXY v2 header of ${len} bytes (at most ${V2_MAX_BODY})` };
  if (buf.length < 16 + len) return { state: 'more' };
  const body = buf.subarray(16, 16 + len);
  const rest = buf.subarray(16 + len);
  if (cmd === 0) return { state: 'done', source: undefined, rest }; // LOCAL: the balancer's own health check
  const family = buf[13] >> 4;
  const transport = buf[13] & 0x0f;
  if (transport !== 1)
    return family === 0
      ? { state: 'done', source: undefined, rest }
      : { state: 'error', reason: `PROXY v2 transport ${transport} is not a stream` };
  if (family === 1) {
    if (len < 12) return { state: 'error', reason: `PROXY v2 IPv4 addresses need 12 bytes (got ${len})` };
    return {
      state: 'done',
      source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) },
      rest,
    };
  }
  if (family === 2) {
    if (len < 36) return { state: 'error', reason: `PROXY v2 IPv6 addresses need 36 bytes (got ${len})` };
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(i).toString(16));
    return { state: 'done', source: { address: compressV6(groups), port: body.readUInt16BE(32) }, rest };
  }
  if (family === 0) return { state: 'done', source: undefined, rest }; // UNSPEC
  return { state: 'error', reason: `PROXY v2 address family ${family} is not IPv4 or IPv6` };
}

/** RFC 5952 text: the longest run of zero groups (2 or more) becomes "::". */
function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * Reads the PROXY header (`optional`: if any) off a fresh socket, then calls `ready` with the
 * client's address ("host:port") and the bytes that followed it. A missing,
 * malformed or late header (`timeoutMs`) calls `failed` with a one-line
 * reason and destroys the socket.
 */
export function readProxyHeader(
  socket: net.Socket,
  timeoutMs: number,
  optional: boolean,
  ready: (remote: string, rest: Buffer) => void,
  failed: (reason: string) => void,
): void {
  let buf: Buffer = Buffer.alloc(0);
  const fail = (reason: string) => {
    cleanup();
    socket.destroy();
    failed(reason);
  };
  const timer = setTimeout(() => fail(`no complete PROXY header within ${timeoutMs} ms`), timeoutMs);
  const onData = (b: Buffer) => {
    buf = buf.length === 0 ? b : Buffer.concat([buf, b]);
    const r = parseProxyHeader(buf, optional);
    if (r.state === 'more') return;
    if (r.state === 'error') return fail(r.reason);
    cleanup();
    const remote = r.source
      ? `${r.source.address.includes(':') ? `[${r.source.address}]` : r.source.address}:${r.source.port}`
      : `${socket.remoteAddress}:${socket.remotePort}`;
    ready(remote, r.rest);
  };
  const onClose = () => cleanup();
  function cleanup() {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
  }
  socket.on('data', onData);
  socket.on('close', onClose);
}
