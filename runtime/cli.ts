// `runtime` command line (also `mqttlab start|ctl|passwd|ui`): broker processes. Each subcommand is a
// flag table (cli/args.ts); adding a flag is one line there.

import { ConfigError } from '../core/config.ts';
import { VERSION } from '../core/broker.ts';
import {
  EXIT,
  UsageError,
  defineCommand,
  dispatch,
  help,
  parse,
  parseOrHelp,
  type Group,
} from '../cli/args.ts';
import { runCli } from '../cli/errors.ts';
import { readConfigFile } from './config.ts';
import { passwd } from './passwd.ts';
import { startServer } from './server.ts';
import { ctl } from './ctl.ts';
import { parseLinkFlag } from '../core/link/config.ts';
import { importMosquittoCommand } from './mosquitto-import.ts';

export const START = defineCommand({
  summary:
    'Run a broker (MQTT over TCP and WebSocket by default; TLS, WSS, clustering and the admin API on demand).',
  flags: {
    config: { type: 'string', arg: 'FILE', help: 'YAML or JSON config file (docs/configuration.md)' },
    node: { type: 'string', arg: 'NAME', help: 'node name (default mqttlab)' },
    host: { type: 'string', arg: 'ADDR', help: 'bind address for all listeners (default 0.0.0.0)' },
    port: { type: 'int', arg: 'N', min: 0, help: 'MQTT over TCP port (default 1883; 0 = any free port)' },
    'ws-port': { type: 'int', arg: 'N', min: 0, help: 'MQTT over WebSocket port, path /mqtt (default 8083)' },
    'no-ws': { type: 'boolean', help: 'disable the WebSocket listener' },
    'no-tcp': { type: 'boolean', help: 'disable the TCP listener' },
    'proxy-protocol': {
      type: 'string',
      arg: 'on|optional|off',
      help: 'TCP clients come through HAProxy send-proxy(-v2): their address from the PROXY header (optional: direct clients too)',
    },
    'log-level': { type: 'string', arg: 'L', help: 'debug, info (default), warn, error or silent' },
    'log-format': {
      type: 'string',
      arg: 'F',
      help: 'text (default: "<ISO time> <level> <message>") or json (one object per line)',
    },
    'data-dir': {
      type: 'string',
      arg: 'DIR',
      help: 'keep persistent sessions and retained messages in DIR (LevelDB; standalone nodes)',
    },
    'session-store': {
      type: 'string',
      arg: 'URL',
      help: 'keep persistent sessions, their queues and retained messages in Redis (redis://host:port/db, or redis+sentinel://host:port,.../master/db); nodes share it',
    },
    'password-file': {
      type: 'string',
      arg: 'FILE',
      group: 'security options (docs/security.md)',
      help: 'users allowed to connect (written by "mqttlab passwd")',
    },
    'acl-file': {
      type: 'string',
      arg: 'FILE',
      group: 'security options (docs/security.md)',
      help: 'who may publish / subscribe to what',
    },
    'acl-default': {
      type: 'string',
      arg: 'allow|deny',
      group: 'security options (docs/security.md)',
      help: 'when no ACL rule matches (default deny)',
    },
    'allow-anonymous': {
      type: 'boolean',
      group: 'security options (docs/security.md)',
      help: 'let clients without a user name connect even with a password file',
    },
    'deny-anonymous': {
      type: 'boolean',
      group: 'security options (docs/security.md)',
      help: 'refuse clients without a user name (default when a password file is set)',
    },
    'tls-port': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'security options (docs/security.md)',
      help: 'MQTT over TLS port; enables it (0 = any free port)',
    },
    'wss-port': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'security options (docs/security.md)',
      help: 'MQTT over secure WebSocket port, path /mqtt; enables it',
    },
    'tls-cert': {
      type: 'string',
      arg: 'FILE',
      group: 'security options (docs/security.md)',
      help: 'PEM certificate of the TLS and WSS listeners',
    },
    'tls-key': {
      type: 'string',
      arg: 'FILE',
      group: 'security options (docs/security.md)',
      help: 'its PEM private key',
    },
    'tls-ca': {
      type: 'string',
      arg: 'FILE',
      group: 'security options (docs/security.md)',
      help: 'PEM CA bundle client certificates must chain to',
    },
    'require-client-cert': {
      type: 'boolean',
      group: 'security options (docs/security.md)',
      help: 'refuse TLS clients without a certificate from --tls-ca; its CN is the user name',
    },
    'max-connect-rate': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'security options (docs/security.md)',
      help: 'CONNECTs per second per listener (0 = unlimited)',
    },
    'max-message-rate': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'security options (docs/security.md)',
      help: 'PUBLISH packets per second per client (0 = unlimited)',
    },
    flapping: {
      type: 'boolean',
      group: 'security options (docs/security.md)',
      help: 'ban client ids that reconnect too often (security.flapping)',
    },
    'cluster-port': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'cluster options',
      help: 'peer port; enables clustering (default 4370)',
    },
    'cluster-host': {
      type: 'string',
      arg: 'ADDR',
      group: 'cluster options',
      help: 'bind address of the peer port (default 0.0.0.0)',
    },
    advertise: {
      type: 'string',
      arg: 'HOST:PORT',
      group: 'cluster options',
      help: 'the address other nodes dial (default 127.0.0.1:<cluster port>)',
    },
    seeds: {
      type: 'string',
      arg: 'LIST',
      group: 'cluster options',
      help: "comma-separated name@host:port of the cluster's nodes; enables clustering",
    },
    'cluster-secret': {
      type: 'string',
      arg: 'S',
      group: 'cluster options',
      help: 'shared secret of the cluster (or env MQTTLAB_CLUSTER_SECRET)',
    },
    discovery: {
      type: 'string',
      arg: 'MODE',
      group: 'cluster options',
      help: 'static (seeds are the cluster), manual (seeds only to join) or dns',
    },
    role: {
      type: 'string',
      arg: 'ROLE',
      group: 'cluster options',
      help: 'core (the full mesh, default) or replicant (links to the cores in --seeds only)',
    },
    'dns-name': {
      type: 'string',
      arg: 'NAME',
      group: 'cluster options',
      help: 'DNS discovery: SRV or A-record name; enables clustering with --discovery dns',
    },
    'cluster-tls-cert': {
      type: 'string',
      arg: 'FILE',
      group: 'cluster options',
      help: 'mutual TLS on peer links: certificate (with key and ca; enables it)',
    },
    'cluster-tls-key': {
      type: 'string',
      arg: 'FILE',
      group: 'cluster options',
      help: 'mutual TLS on peer links: private key',
    },
    'cluster-tls-ca': {
      type: 'string',
      arg: 'FILE',
      group: 'cluster options',
      help: 'mutual TLS on peer links: CA bundle',
    },
    'cluster-name': {
      type: 'string',
      arg: 'NAME',
      group: 'cluster options',
      help: "this cluster's name, as linked clusters know it (cluster linking)",
    },
    link: {
      type: 'strings',
      arg: 'NAME@HOST:PORT',
      group: 'cluster options',
      help: 'link to another cluster (repeatable; secret from env MQTTLAB_LINK_SECRET); enables clustering',
    },
    'link-port': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'cluster options',
      help: "port where this node accepts other clusters' links (default 4380)",
    },
    'admin-port': {
      type: 'int',
      arg: 'N',
      min: 0,
      group: 'admin API options',
      help: 'admin HTTP API port; enables it (default 18083; 0 = any free port)',
    },
    'admin-host': {
      type: 'string',
      arg: 'ADDR',
      group: 'admin API options',
      help: 'its bind address (default 127.0.0.1; any other needs a token)',
    },
    'admin-token': {
      type: 'string',
      arg: 'T',
      group: 'admin API options',
      help: 'bearer token required by the admin API (or env MQTTLAB_ADMIN_TOKEN)',
    },
  },
  more: 'Exit codes: 2 usage, 3 a bad config or a port in use; SIGTERM/SIGINT stop gracefully (exit 0).',
});

const UI = defineCommand({
  summary: "Watch a running cluster in the terminal UI through its nodes' admin APIs.",
  flags: {
    admin: {
      type: 'strings',
      arg: 'URL',
      help: 'admin API of a node, one per node (default http://127.0.0.1:18083 or env MQTTLAB_ADMIN_URL)',
    },
    token: { type: 'string', arg: 'T', help: 'bearer token (or env MQTTLAB_ADMIN_TOKEN)' },
  },
});

const IMPORT_MOSQUITTO = defineCommand({
  args: 'mosquitto.conf',
  summary:
    'Convert a mosquitto.conf into an mqttlab config file; what has no equivalent is listed on stderr.',
  flags: { out: { type: 'string', arg: 'FILE', help: 'write the YAML to FILE (default: stdout)' } },
});

async function importMosquitto(argv: string[], prog: string): Promise<number> {
  const parsed = parseOrHelp(IMPORT_MOSQUITTO, argv, prog);
  if (!parsed) return EXIT.PASS;
  if (parsed.positionals.length !== 1)
    throw new UsageError(`usage: ${prog} mosquitto.conf [--out mqttlab.yaml]`);
  return importMosquittoCommand(
    parsed.positionals[0],
    parsed.values.out,
    (t) => process.stdout.write(t),
    (t) => console.error(t),
  );
}

async function ui(argv: string[], prog: string): Promise<number> {
  const parsed = parseOrHelp(UI, argv, prog);
  if (!parsed) return EXIT.PASS;
  const { values } = parsed;
  const urls = values.admin.length
    ? values.admin
    : [process.env.MQTTLAB_ADMIN_URL || 'http://127.0.0.1:18083'];
  for (const u of urls) {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(u).protocol);
    } catch {
      // reported below
    }
    if (!ok) throw new UsageError(`--admin: not an http(s) URL: ${JSON.stringify(u)}`);
  }
  const { watchLive } = await import('../ui/watch-live.tsx');
  return watchLive(urls, values.token ?? process.env.MQTTLAB_ADMIN_TOKEN ?? '');
}

/** `runtime start` flags (and the config file they name) as config overrides, not yet validated. */
export function startOverrides(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  prog = 'runtime start',
): Record<string, any> {
  const { values, positionals } = parse(START, argv, prog);
  if (positionals.length)
    throw new UsageError(`${prog}: takes no arguments (got ${positionals.join(' ')}); options start with --`);
  const file = values.config ? ((readConfigFile(values.config) as Record<string, any>) ?? {}) : {};
  if (typeof file !== 'object' || Array.isArray(file))
    throw new ConfigError(['config file: must contain a mapping']);
  const cfg: Record<string, any> = structuredClone(file);
  const listeners = (cfg.listeners ??= {});
  const tcp = (listeners.tcp ??= {});
  const ws = (listeners.ws ??= {});
  if (values.node !== undefined) cfg.node = values.node;
  if (values.host !== undefined) tcp.host = ws.host = values.host;
  const p = values.port;
  if (p !== undefined) tcp.port = p;
  const wp = values['ws-port'];
  if (wp !== undefined) ws.port = wp;
  if (values['no-ws']) ws.enabled = false;
  if (values['no-tcp']) tcp.enabled = false;
  if (values['log-level'] !== undefined || values['log-format'] !== undefined) {
    cfg.log = {
      ...cfg.log,
      ...(values['log-level'] !== undefined && { level: values['log-level'] }),
      ...(values['log-format'] !== undefined && { format: values['log-format'] }),
    };
  }
  const pp = values['proxy-protocol'];
  if (pp !== undefined) tcp.proxyProtocol = pp === 'on' ? true : pp === 'off' ? false : pp;
  for (const k of ['tls', 'security'] as const) {
    if (cfg[k] !== undefined && (typeof cfg[k] !== 'object' || cfg[k] === null || Array.isArray(cfg[k])))
      throw new ConfigError([`${k}: must be an object`]);
  }
  const tp = values['tls-port'];
  if (tp !== undefined) listeners.tls = { ...listeners.tls, port: tp, enabled: true };
  const wsp = values['wss-port'];
  if (wsp !== undefined) listeners.wss = { ...listeners.wss, port: wsp, enabled: true };
  if (values.host !== undefined)
    for (const k of ['tls', 'wss']) if (listeners[k]) listeners[k].host = values.host;
  const tlsc: Record<string, any> = (cfg.tls ??= {});
  if (values['tls-cert'] !== undefined) tlsc.cert = values['tls-cert'];
  if (values['tls-key'] !== undefined) tlsc.key = values['tls-key'];
  if (values['tls-ca'] !== undefined) tlsc.ca = values['tls-ca'];
  if (values['require-client-cert']) tlsc.requireClientCert = true;
  if (Object.keys(tlsc).length === 0) delete cfg.tls;
  const sec: Record<string, any> = (cfg.security ??= {});
  if (values['password-file'] !== undefined) sec.passwordFile = values['password-file'];
  if (values['acl-file'] !== undefined) sec.aclFile = values['acl-file'];
  if (values['acl-default'] !== undefined) sec.aclDefault = values['acl-default'];
  if (values['allow-anonymous'] && values['deny-anonymous'])
    throw new ConfigError(['--allow-anonymous and --deny-anonymous: pick one']);
  if (values['allow-anonymous']) sec.allowAnonymous = true;
  if (values['deny-anonymous']) sec.allowAnonymous = false;
  const mcr = values['max-connect-rate'];
  if (mcr !== undefined) sec.maxConnectRate = mcr;
  const mmr = values['max-message-rate'];
  if (mmr !== undefined) sec.maxMessageRate = mmr;
  if (values.flapping) sec.flapping = { ...sec.flapping, enabled: true };
  if (Object.keys(sec).length === 0) delete cfg.security;
  if (
    cfg.cluster !== undefined &&
    (typeof cfg.cluster !== 'object' || cfg.cluster === null || Array.isArray(cfg.cluster))
  ) {
    throw new ConfigError(['cluster: must be an object']);
  }
  const cl: Record<string, any> = (cfg.cluster ??= {});
  const cp = values['cluster-port'];
  if (cp !== undefined) {
    cl.port = cp;
    cl.enabled = true;
  }
  if (values.seeds !== undefined) {
    cl.seeds = values.seeds
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    cl.enabled = true;
  }
  if (values.discovery !== undefined) cl.discovery = values.discovery;
  if (values.role !== undefined) cl.role = values.role;
  if (values['dns-name'] !== undefined) {
    cl.dnsName = values['dns-name'];
    cl.discovery ??= 'dns';
    cl.enabled = true;
  }
  if (values['cluster-host'] !== undefined) cl.host = values['cluster-host'];
  const ctls = {
    cert: values['cluster-tls-cert'],
    key: values['cluster-tls-key'],
    ca: values['cluster-tls-ca'],
  };
  if (ctls.cert !== undefined || ctls.key !== undefined || ctls.ca !== undefined) {
    if (cl.tls !== undefined && (typeof cl.tls !== 'object' || cl.tls === null))
      throw new ConfigError(['cluster.tls: must be an object']);
    cl.tls = { ...cl.tls, enabled: true };
    for (const [k, v] of Object.entries(ctls)) if (v !== undefined) cl.tls[k] = v;
  }
  if (values.advertise !== undefined) cl.advertise = values.advertise;
  if (values['cluster-name'] !== undefined) cl.name = values['cluster-name'];
  if (values['link-port'] !== undefined) cl.linkPort = values['link-port'];
  if (values.link.length) {
    const links = values.link.map((l) => parseLinkFlag(l, env.MQTTLAB_LINK_SECRET ?? ''));
    const bad = links.filter((l): l is string => typeof l === 'string');
    if (bad.length) throw new ConfigError(bad);
    cl.links = [...(Array.isArray(cl.links) ? cl.links : []), ...links];
    cl.enabled = true;
  }
  const envSecret = env.MQTTLAB_CLUSTER_SECRET;
  if (values['cluster-secret'] !== undefined) cl.secret = values['cluster-secret'];
  else if (envSecret) cl.secret = envSecret;
  if (Object.keys(cl).length === 0) delete cfg.cluster;
  if (
    cfg.admin !== undefined &&
    (typeof cfg.admin !== 'object' || cfg.admin === null || Array.isArray(cfg.admin))
  ) {
    throw new ConfigError(['admin: must be an object']);
  }
  const ad: Record<string, any> = (cfg.admin ??= {});
  const ap = values['admin-port'];
  if (ap !== undefined) {
    ad.port = ap;
    ad.enabled = true;
  }
  if (values['admin-host'] !== undefined) ad.host = values['admin-host'];
  const envToken = env.MQTTLAB_ADMIN_TOKEN;
  if (values['admin-token'] !== undefined) ad.token = values['admin-token'];
  else if (envToken) ad.token = envToken;
  if (Object.keys(ad).length === 0) delete cfg.admin;
  if (values['data-dir'] !== undefined) cfg.dataDir = values['data-dir'];
  const ss = values['session-store'];
  if (ss !== undefined) cfg.store = { ...cfg.store, kind: 'redis', url: ss };
  return cfg;
}

async function start(argv: string[], prog: string): Promise<number> {
  if (parse(START, argv, prog).help) {
    console.log(help(START, prog));
    return EXIT.PASS;
  }
  const server = await startServer(startOverrides(argv, process.env, prog));
  const c = server.config;
  // Signal handlers before the banner: whoever waits for the banner may signal at once.
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) {
      // A second signal: stop now.
      server.log.info(`${sig}: stopping now`);
      await server.stop();
      process.exit(0);
    }
    stopping = true;
    server.log.info(`${sig}: shutting down gracefully (again to stop at once)`);
    await server.gracefulStop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void server.reload());
  server.log.info(
    `mqttlab ${VERSION} node ${c.node}: ` +
      [
        server.tcpPort !== undefined && `mqtt://${c.listeners.tcp.host}:${server.tcpPort}`,
        server.wsPort !== undefined && `ws://${c.listeners.ws.host}:${server.wsPort}${c.listeners.ws.path}`,
        server.tlsPort !== undefined && `mqtts://${c.listeners.tls.host}:${server.tlsPort}`,
        server.wssPort !== undefined &&
          `wss://${c.listeners.wss.host}:${server.wssPort}${c.listeners.wss.path}`,
      ]
        .filter(Boolean)
        .join(' ') +
      (server.cluster
        ? ` cluster ${c.cluster.advertise} (peer port ${c.cluster.host}:${server.clusterPort})`
        : '') +
      (server.admin
        ? ` admin http://${c.admin.host.includes(':') ? `[${c.admin.host}]` : c.admin.host}:${server.adminPort}`
        : ''),
  );
  return -1; // keeps running
}

export const RUNTIME: Group = {
  summary: 'mqttlab broker processes: start one, operate it, manage its users, watch its cluster.',
  commands: {
    start: { summary: 'run a broker', run: start },
    ctl: {
      summary: 'operate a running broker through its admin API (cluster, clients, routes...)',
      run: ctl,
    },
    passwd: { summary: 'add, change or remove a user of a password file', run: passwd },
    ui: { summary: 'watch a running cluster in the terminal UI', run: ui },
    'import-mosquitto': {
      summary: 'convert a mosquitto.conf: import-mosquitto mosquitto.conf [--out mqttlab.yaml]',
      run: importMosquitto,
    },
  },
  more: 'Exit codes: 0 ok, 1 a refused operation, 2 usage, 3 load or internal error (bad config, port in use).',
};

/** `runtime ARGS`; returns the exit code, or -1 when a broker keeps running. */
export function main(argv: string[], prog = 'runtime'): Promise<number> {
  return runCli(argv, (a) => dispatch(RUNTIME, a, prog, VERSION));
}
