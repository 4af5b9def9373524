// `runtime ctl`: operates a running broker through its admin HTTP API
// (runtime/admin.ts) and prints readable tables, or the raw JSON with --json.

import { EXIT, UsageError, defineCommand, didYouMean, help, parse } from '../cli/args.ts';
import { rebalanceStart, renderRebalance, type RebalanceFlags } from './ctl-rebalance.ts';

export const CTL = defineCommand({
  args: '<command>',
  summary: `Operate a running broker through its admin HTTP API.

commands:
  cluster status                  members of the cluster and their state (and its links to other clusters)
  cluster join NODE HOST:PORT     contact NODE at HOST:PORT (its peer port) to join its cluster
  cluster leave                   leave the cluster
  cluster force-leave NODE        remove a (dead) node from the cluster
  broker stats                    broker statistics
  clients list                    sessions on this node
  clients kick CLIENT_ID          disconnect a client (v5: DISCONNECT 0x98); its session stays per its expiry
  subscriptions list              subscriptions on this node
  routes list                     the cluster route table (or this node's routes)
  publish TOPIC MESSAGE           publish a message from the broker [--qos N] [--retain]
  banned list                     client ids banned for flapping, with the time left
  banned remove CLIENT_ID         lift a ban
  rebalance start --evacuation    empty this node before a stop or upgrade: /health 503, connects refused,
                                  clients closed (v5: 0x9C Use another server), sessions moved to the others
  rebalance start                 move connections off nodes above the average (this node coordinates)
  rebalance status                this node's evacuation (or donor part) and the rebalance it coordinates
  rebalance stop                  end it: /health back to 200, connects accepted`,
  flags: {
    admin: {
      type: 'string',
      arg: 'URL',
      help: 'admin API of the node (default http://127.0.0.1:18083, or env MQTTLAB_ADMIN_URL)',
    },
    token: { type: 'string', arg: 'T', help: 'bearer token (or env MQTTLAB_ADMIN_TOKEN)' },
    json: { type: 'boolean', help: 'print the JSON answer instead of a table' },
    qos: { type: 'string', arg: 'N', help: 'publish: QoS 0, 1 or 2 (default 0)' },
    retain: { type: 'boolean', help: 'publish: set the retain flag' },
    page: { type: 'string', arg: 'N', help: 'lists: the page to show, from 1 (100 a page unless --limit)' },
    limit: { type: 'string', arg: 'N', help: 'lists: entries a page' },
    evacuation: { type: 'boolean', help: 'rebalance start: evacuate this node', group: 'rebalance' },
    'migrate-to': {
      type: 'string',
      arg: 'NODES',
      help: 'evacuation: target nodes, "n2,n3" (default: every running peer)',
      group: 'rebalance',
    },
    'conn-evict-rate': {
      type: 'number',
      min: 0,
      help: 'connections closed a second (500)',
      group: 'rebalance',
    },
    'sess-evict-rate': {
      type: 'number',
      min: 0,
      help: 'evacuation: sessions moved a second (500)',
      group: 'rebalance',
    },
    'wait-health-check': {
      type: 'number',
      arg: 'S',
      min: 0,
      help: 'seconds unhealthy before closing connections (60)',
      group: 'rebalance',
    },
    'wait-takeover': {
      type: 'number',
      arg: 'S',
      min: 0,
      help: 'seconds for clients to reconnect elsewhere before sessions move (60)',
      group: 'rebalance',
    },
    'redirect-to': {
      type: 'string',
      arg: 'REF',
      help: 'evacuation: Server Reference for v5 clients (default: the target node name)',
      group: 'rebalance',
    },
    nodes: {
      type: 'string',
      arg: 'NODES',
      help: 'rebalance: participants (default: all running)',
      group: 'rebalance',
    },
    'conn-threshold': {
      type: 'number',
      min: 0,
      help: 'rebalance: donor above average + N (1000)',
      group: 'rebalance',
    },
    'rel-conn-threshold': {
      type: 'number',
      min: 1,
      arg: 'R',
      help: 'rebalance: ...and above average x R (1.1)',
      group: 'rebalance',
    },
  },
  more: 'Exit codes: 0 ok, 1 the broker refused (HTTP error), 2 usage, 3 the admin API cannot be reached.',
});

const COMMANDS = [
  'cluster status',
  'cluster join',
  'cluster leave',
  'cluster force-leave',
  'broker stats',
  'clients list',
  'clients kick',
  'subscriptions list',
  'routes list',
  'publish',
  'banned list',
  'banned remove',
  'rebalance start',
  'rebalance status',
  'rebalance stop',
];

export interface CtlIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CtlIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Renders rows as an aligned text table with a header. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

function flatten(
  o: Record<string, unknown>,
  prefix = '',
  out: [string, unknown][] = [],
): [string, unknown][] {
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (Object.keys(v).length === 0) out.push([prefix + k, '-']);
      else flatten(v as Record<string, unknown>, `${prefix}${k}.`, out);
    } else out.push([prefix + k, v]);
  }
  return out;
}

class CtlError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export interface CtlCommand {
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
  render(r: any): string;
}

export interface CtlFlags extends RebalanceFlags {
  qos?: string;
  retain?: boolean;
  page?: string;
  limit?: string;
}

function command(words: string[], prog: string, flags: CtlFlags = {}): CtlCommand {
  const [group, verb, ...args] = words;
  const pageQuery = (base: string) => {
    const q = new URLSearchParams();
    if (flags.page !== undefined) q.set('page', flags.page);
    if (flags.limit !== undefined) q.set('limit', flags.limit);
    const qs = q.toString();
    return qs ? `${base}?${qs}` : base;
  };
  const more = (r: any) =>
    r.meta && (r.meta.hasNext || r.meta.page > 1)
      ? `\n\npage ${r.meta.page} (${r.meta.limit} a page) of ${r.meta.count}${r.meta.hasNext ? `; next: --page ${r.meta.page + 1}` : ''}`
      : '';
  const arity = (n: number, usage: string) => {
    if (args.length !== n) throw new CtlError(`usage: ${prog} ${usage}`, EXIT.USAGE);
  };
  // Cluster linking (docs/cluster-linking.md): this node's link to each other cluster.
  const linksTable = (r: any): string =>
    r.links
      ? `\n\ncluster ${r.name}, links:\n` +
        table(
          [
            'LINK',
            'STATE',
            'PEER',
            'ROUTES',
            'BUFFERED',
            'SENT',
            'ACKED',
            'RESENT',
            'DROPPED',
            'IN',
            'RECEIVED',
          ],
          r.links.map((l: any) => [
            l.name,
            l.state,
            l.peer || '-',
            l.routes,
            l.buffered,
            l.sent,
            l.acked,
            l.resent,
            l.dropped,
            l.inbound,
            l.received,
          ]),
        )
      : '';
  const members = (r: any) => {
    // A ROLE column once any node is a replicant (a cluster of cores prints as it always did).
    const roles = (r.members ?? []).some((m: any) => m.role);
    return table(
      ['NODE', 'STATE', 'ADDRESS', ...(roles ? ['ROLE'] : [])],
      (r.members ?? []).map((m: any) => [m.node, m.state, m.address, ...(roles ? [m.role ?? 'core'] : [])]),
    );
  };
  switch (`${group ?? ''} ${verb ?? ''}`) {
    case 'cluster status':
      arity(0, 'cluster status');
      return {
        method: 'GET',
        path: '/api/cluster',
        render: (r) => {
          if (!r.clustered) return `node ${r.node}: not clustered`;
          const s = r.stats ?? {};
          return `${members(r)}\n\nforwarded out/in ${s.forwardedOut}/${s.forwardedIn}, netsplits detected/healed ${s.netsplitsDetected}/${s.netsplitsHealed}, handoffs out/in ${s.handoffsOut}/${s.handoffsIn}, autocleaned ${s.autocleaned}, auth failures ${s.authFailures}${linksTable(r)}`;
        },
      };
    case 'cluster join':
      arity(2, 'cluster join NODE HOST:PORT');
      return {
        method: 'POST',
        path: '/api/cluster/join',
        body: { node: args[0], address: args[1] },
        render: (r) => `joining ${r.node} at ${r.address}\n\n${members(r)}`,
      };
    case 'cluster leave':
      arity(0, 'cluster leave');
      return { method: 'POST', path: '/api/cluster/leave', render: () => 'left the cluster' };
    case 'cluster force-leave':
      arity(1, 'cluster force-leave NODE');
      return {
        method: 'POST',
        path: '/api/cluster/force-leave',
        body: { node: args[0] },
        render: (r) => `removed ${r.node}\n\n${members(r)}`,
      };
    case 'broker stats':
      arity(0, 'broker stats');
      return { method: 'GET', path: '/api/stats', render: (r) => table(['STAT', 'VALUE'], flatten(r)) };
    case 'clients list':
      arity(0, 'clients list');
      return {
        method: 'GET',
        path: pageQuery('/api/clients'),
        render: (r) =>
          table(
            ['CLIENT ID', 'CONNECTED', 'NODE', 'EXPIRY', 'QUEUED', 'INFLIGHT', 'REMOTE'],
            r.clients.map((c: any) => [
              c.clientId,
              c.connected ? 'yes' : 'no',
              c.node,
              c.sessionExpiry === 0xffffffff ? 'never' : `${c.sessionExpiry}s`,
              c.queued,
              c.inflight,
              c.remote,
            ]),
          ) + more(r),
      };
    case 'clients kick':
      arity(1, 'clients kick CLIENT_ID');
      return {
        method: 'POST',
        path: '/api/clients/kick',
        body: { clientId: args[0] },
        render: (r) => `kicked ${r.clientId}`,
      };
    case 'banned list':
      arity(0, 'banned list');
      return {
        method: 'GET',
        path: pageQuery('/api/banned'),
        render: (r) =>
          r.flapping
            ? table(
                ['CLIENT ID', 'REASON', 'SECONDS LEFT'],
                r.banned.map((b: any) => [b.clientId, b.reason, b.secondsLeft]),
              ) + more(r)
            : 'no bans: flapping detection is off (security.flapping.enabled)',
      };
    case 'banned remove':
      arity(1, 'banned remove CLIENT_ID');
      return {
        method: 'POST',
        path: '/api/banned/remove',
        body: { clientId: args[0] },
        render: (r) => `unbanned ${r.clientId}`,
      };
    case 'subscriptions list':
      arity(0, 'subscriptions list');
      return {
        method: 'GET',
        path: pageQuery('/api/subscriptions'),
        render: (r) =>
          table(
            ['CLIENT ID', 'TOPIC', 'QOS'],
            r.subscriptions.map((s: any) => [s.clientId, s.topic, s.qos]),
          ) + more(r),
      };
    case 'rebalance start':
      arity(0, 'rebalance start [--evacuation] [options]');
      return rebalanceStart(flags, (m) => {
        throw new CtlError(m, EXIT.USAGE);
      });
    case 'rebalance status':
      arity(0, 'rebalance status');
      return { method: 'GET', path: '/api/rebalance/status', render: renderRebalance };
    case 'rebalance stop':
      arity(0, 'rebalance stop');
      return { method: 'POST', path: '/api/rebalance/stop', render: (r) => `stopped on ${r.node}` };
    case 'routes list':
      arity(0, 'routes list');
      return {
        method: 'GET',
        path: pageQuery('/api/routes'),
        render: (r) =>
          table(
            ['TOPIC', 'NODE'],
            r.routes.map((x: any) => [x.topic, x.node]),
          ) + more(r),
      };
  }
  if (group === 'publish') {
    if (words.length !== 3)
      throw new CtlError(`usage: ${prog} publish TOPIC MESSAGE [--qos N] [--retain]`, EXIT.USAGE);
    const qos = flags.qos === undefined ? 0 : Number(flags.qos);
    if (qos !== 0 && qos !== 1 && qos !== 2)
      throw new CtlError(`--qos: must be 0, 1 or 2 (got ${JSON.stringify(flags.qos)})`, EXIT.USAGE);
    return {
      method: 'POST',
      path: '/api/publish',
      body: { topic: words[1], payload: words[2], qos, retain: flags.retain === true },
      render: (r) => `published to ${r.topic} (${r.delivered} matching)`,
    };
  }
  const said = words.slice(0, 2).join(' ');
  throw new CtlError(
    words.length
      ? `unknown command ${JSON.stringify(said)}${didYouMean(said, COMMANDS)}; see --help`
      : `a command is needed: ${COMMANDS.join(', ')}`,
    EXIT.USAGE,
  );
}

/** Runs `runtime ctl ARGS` (prog: how it was called); returns the exit code (0 ok, 1 refused, 2 usage, 3 unreachable). */
export async function ctl(argv: string[], prog = 'runtime ctl', io: CtlIo = consoleIo): Promise<number> {
  let values, positionals: string[];
  try {
    const p = parse(CTL, argv, prog);
    if (p.help) {
      io.out(help(CTL, prog));
      return EXIT.PASS;
    }
    ({ values, positionals } = p);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(e.message);
    return EXIT.USAGE;
  }
  try {
    const cmd = command(positionals, prog, values);
    const base = values.admin ?? process.env.MQTTLAB_ADMIN_URL ?? 'http://127.0.0.1:18083';
    let url: URL;
    try {
      url = new URL(cmd.path, base.endsWith('/') ? base : base + '/');
    } catch {
      throw new CtlError(`--admin: not a URL: ${JSON.stringify(base)}`, EXIT.USAGE);
    }
    const token = values.token ?? process.env.MQTTLAB_ADMIN_TOKEN ?? '';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (cmd.body) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method: cmd.method,
        headers,
        body: cmd.body ? JSON.stringify(cmd.body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CtlError(
        `cannot reach the admin API at ${url.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
        EXIT.ERROR,
      );
    }
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CtlError(
        `${url.origin}${cmd.path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`,
        EXIT.ERROR,
      );
    }
    if (!res.ok) {
      if (values.json) io.out(JSON.stringify(body, null, 2));
      throw new CtlError(`${cmd.method} ${cmd.path}: HTTP ${res.status}: ${body?.error ?? text.trim()}`);
    }
    io.out(values.json ? JSON.stringify(body, null, 2) : cmd.render(body));
    return 0;
  } catch (e) {
    if (e instanceof CtlError) {
      io.err(e.message);
      return e.code;
    }
    throw e;
  }
}
