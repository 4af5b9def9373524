// `runtime` command line: start a broker process.

import { parseArgs } from 'node:util';
import { ConfigError } from '../core/config.ts';
import { VERSION } from '../core/broker.ts';
import { readConfigFile } from './config.ts';
import { passwd, PASSWD_USAGE } from './passwd.ts';
import { startServer } from './server.ts';
import { ctl, CTL_USAGE } from './ctl.ts';
import { DataDirLockedError } from './disk-store.ts';
import { importMosquittoCommand } from './mosquitto-import.ts';

const USAGE = `usage: runtime <command> [options]

commands:
  start     run a broker
  ctl       operate a running broker through its admin API (see "runtime ctl --help")
  passwd    add or change a user in a password file: runtime passwd FILE USER [--password P]
  ui        watch a running cluster in the terminal UI through its nodes' admin APIs
  import-mosquitto  convert a mosquitto.conf: runtime import-mosquitto mosquitto.conf [--out mqttlab.yaml]
  version   print the version

start options:
  --config FILE     YAML or JSON config file (see README "Configuration")
  --node NAME       node name (default mqttlab)
  --host ADDR       bind address for all listeners (default 0.0.0.0)
  --port N          MQTT over TCP port (default 1883; 0 = any free port)
  --ws-port N       MQTT over WebSocket port, path /mqtt (default 8083)
  --no-ws           disable the WebSocket listener
  --no-tcp          disable the TCP listener
  --proxy-protocol on|optional|off  TCP clients come through HAProxy send-proxy(-v2): their own address from the
                    PROXY header (optional: also direct clients; anyone reaching the port can claim an address)
  --log-level L     debug, info (default), warn, error or silent
  --log-format F    text (default: "<ISO time> <level> <message>") or json (one object per line)
  --data-dir DIR    keep persistent sessions and retained messages in DIR (LevelDB; standalone nodes)

security options (see README "Security"):
  --password-file FILE  users allowed to connect (written by "runtime passwd")
  --acl-file FILE       who may publish / subscribe to what
  --acl-default V       allow or deny when no ACL rule matches (default deny)
  --allow-anonymous     let clients without a user name connect even with a password file
  --deny-anonymous      refuse clients without a user name (default when a password file is set)
  --tls-port N          MQTT over TLS port; enables it (default 8883; 0 = any free port)
  --wss-port N          MQTT over secure WebSocket port, path /mqtt; enables it
  --tls-cert FILE       PEM certificate of the TLS and WSS listeners
  --tls-key FILE        its PEM private key
  --tls-ca FILE         PEM CA bundle client certificates must chain to
  --require-client-cert refuse TLS clients without a certificate from --tls-ca; its CN is the user name
  --max-connect-rate N  CONNECTs per second per listener (0 = unlimited)
  --max-message-rate N  PUBLISH packets per second per client (0 = unlimited)
  --flapping            ban client ids that reconnect too often (see security.flapping)

cluster options (see README "Run a cluster"):
  --cluster-port N      peer port; enables clustering (default 4370)
  --cluster-host ADDR   bind address of the peer port (default 0.0.0.0)
  --advertise HOST:PORT the address other nodes dial (default 127.0.0.1:<cluster port>)
  --seeds LIST          comma-separated name@host:port of the cluster's nodes (this one may be
                        included); enables clustering
  --cluster-secret S    shared secret of the cluster (or env MQTTLAB_CLUSTER_SECRET)
  --discovery MODE      static (seeds are the cluster), manual (seeds only to join) or dns
  --dns-name NAME       DNS discovery: SRV name (_cluster._tcp.<headless service>) or A-record name;
                        enables clustering with --discovery dns
  --cluster-tls-cert FILE, --cluster-tls-key FILE, --cluster-tls-ca FILE
                        mutual TLS on peer links (all three; enables it)

admin API options (see README "Operate"):
  --admin-port N        admin HTTP API port; enables it (default 18083; 0 = any free port)
  --admin-host ADDR     its bind address (default 127.0.0.1; any other needs a token)
  --admin-token T       bearer token required by the admin API (or env MQTTLAB_ADMIN_TOKEN)

ui options:
  --admin URL           admin API of a node (repeatable: one per node; default http://127.0.0.1:18083,
                        or env MQTTLAB_ADMIN_URL); nodes not given appear as their peers see them
  --token T             bearer token (or env MQTTLAB_ADMIN_TOKEN)
`;

async function ui(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { admin: { type: 'string', multiple: true }, token: { type: 'string' } } });
  const urls = values.admin?.length ? values.admin : [process.env.MQTTLAB_ADMIN_URL || 'http://127.0.0.1:18083'];
  for (const u of urls) {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(u).protocol);
    } catch {
      // reported below
    }
    if (!ok) throw new ConfigError([`--admin: not an http(s) URL: ${JSON.stringify(u)}`]);
  }
  const { watchLive } = await import('../ui/watch-live.tsx');
  return watchLive(urls, values.token ?? process.env.MQTTLAB_ADMIN_TOKEN ?? '');
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError([`--${name}: must be an integer (got ${JSON.stringify(v)})`]);
  return n;
}

/** `runtime start` flags (and the config file they name) as config overrides, not yet validated. */
export function startOverrides(argv: string[], env: NodeJS.ProcessEnv = process.env): Record<string, any> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      node: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'ws-port': { type: 'string' },
      'no-ws': { type: 'boolean' },
      'no-tcp': { type: 'boolean' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'proxy-protocol': { type: 'string' },
      'cluster-port': { type: 'string' },
      'cluster-host': { type: 'string' },
      advertise: { type: 'string' },
      seeds: { type: 'string' },
      'cluster-secret': { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      'admin-token': { type: 'string' },
      'data-dir': { type: 'string' },
      discovery: { type: 'string' },
      'dns-name': { type: 'string' },
      'password-file': { type: 'string' },
      'acl-file': { type: 'string' },
      'acl-default': { type: 'string' },
      'allow-anonymous': { type: 'boolean' },
      'deny-anonymous': { type: 'boolean' },
      'tls-port': { type: 'string' },
      'wss-port': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'require-client-cert': { type: 'boolean' },
      'max-connect-rate': { type: 'string' },
      'max-message-rate': { type: 'string' },
      flapping: { type: 'boolean' },
      'cluster-tls-cert': { type: 'string' },
      'cluster-tls-key': { type: 'string' },
      'cluster-tls-ca': { type: 'string' },
    },
  });
  const file = values.config ? (readConfigFile(values.config) as Record<string, any>) ?? {} : {};
  if (typeof file !== 'object' || Array.isArray(file)) throw new ConfigError(['config file: must contain a mapping']);
  const cfg: Record<string, any> = structuredClone(file);
  const listeners = (cfg.listeners ??= {});
  const tcp = (listeners.tcp ??= {});
  const ws = (listeners.ws ??= {});
  if (values.node !== undefined) cfg.node = values.node;
  if (values.host !== undefined) tcp.host = ws.host = values.host;
  const p = int('port', values.port);
  if (p !== undefined) tcp.port = p;
  const wp = int('ws-port', values['ws-port']);
  if (wp !== undefined) ws.port = wp;
  if (values['no-ws']) ws.enabled = false;
  if (values['no-tcp']) tcp.enabled = false;
  if (values['log-level'] !== undefined || values['log-format'] !== undefined) {
    cfg.log = { ...cfg.log, ...(values['log-level'] !== undefined && { level: values['log-level'] }), ...(values['log-format'] !== undefined && { format: values['log-format'] }) };
  }
  const pp = values['proxy-protocol'];
  if (pp !== undefined) tcp.proxyProtocol = pp === 'on' ? true : pp === 'off' ? false : pp;
  for (const k of ['tls', 'security'] as const) {
    if (cfg[k] !== undefined && (typeof cfg[k] !== 'object' || cfg[k] === null || Array.isArray(cfg[k]))) throw new ConfigError([`${k}: must be an object`]);
  }
  const tp = int('tls-port', values['tls-port']);
  if (tp !== undefined) listeners.tls = { ...listeners.tls, port: tp, enabled: true };
  const wsp = int('wss-port', values['wss-port']);
  if (wsp !== undefined) listeners.wss = { ...listeners.wss, port: wsp, enabled: true };
  if (values.host !== undefined) for (const k of ['tls', 'wss']) if (listeners[k]) listeners[k].host = values.host;
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
  if (values['allow-anonymous'] && values['deny-anonymous']) throw new ConfigError(['--allow-anonymous and --deny-anonymous: pick one']);
  if (values['allow-anonymous']) sec.allowAnonymous = true;
  if (values['deny-anonymous']) sec.allowAnonymous = false;
  const mcr = int('max-connect-rate', values['max-connect-rate']);
  if (mcr !== undefined) sec.maxConnectRate = mcr;
  const mmr = int('max-message-rate', values['max-message-rate']);
  if (mmr !== undefined) sec.maxMessageRate = mmr;
  if (values.flapping) sec.flapping = { ...sec.flapping, enabled: true };
  if (Object.keys(sec).length === 0) delete cfg.security;
  if (cfg.cluster !== undefined && (typeof cfg.cluster !== 'object' || cfg.cluster === null || Array.isArray(cfg.cluster))) {
    throw new ConfigError(['cluster: must be an object']);
  }
  const cl: Record<string, any> = (cfg.cluster ??= {});
  const cp = int('cluster-port', values['cluster-port']);
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
  if (values['dns-name'] !== undefined) {
    cl.dnsName = values['dns-name'];
    cl.discovery ??= 'dns';
    cl.enabled = true;
  }
  if (values['cluster-host'] !== undefined) cl.host = values['cluster-host'];
  const ctls = { cert: values['cluster-tls-cert'], key: values['cluster-tls-key'], ca: values['cluster-tls-ca'] };
  if (ctls.cert !== undefined || ctls.key !== undefined || ctls.ca !== undefined) {
    if (cl.tls !== undefined && (typeof cl.tls !== 'object' || cl.tls === null)) throw new ConfigError(['cluster.tls: must be an object']);
    cl.tls = { ...cl.tls, enabled: true };
    for (const [k, v] of Object.entries(ctls)) if (v !== undefined) cl.tls[k] = v;
  }
  if (values.advertise !== undefined) cl.advertise = values.advertise;
  const envSecret = env.MQTTLAB_CLUSTER_SECRET;
  if (values['cluster-secret'] !== undefined) cl.secret = values['cluster-secret'];
  else if (envSecret) cl.secret = envSecret;
  if (Object.keys(cl).length === 0) delete cfg.cluster;
  if (cfg.admin !== undefined && (typeof cfg.admin !== 'object' || cfg.admin === null || Array.isArray(cfg.admin))) {
    throw new ConfigError(['admin: must be an object']);
  }
  const ad: Record<string, any> = (cfg.admin ??= {});
  const ap = int('admin-port', values['admin-port']);
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
  return cfg;
}

async function start(argv: string[]): Promise<void> {
  const server = await startServer(startOverrides(argv));
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
        server.wssPort !== undefined && `wss://${c.listeners.wss.host}:${server.wssPort}${c.listeners.wss.path}`,
      ]
        .filter(Boolean)
        .join(' ') +
      (server.cluster ? ` cluster ${c.cluster.advertise} (peer port ${c.cluster.host}:${server.clusterPort})` : '') +
      (server.admin ? ` admin http://${c.admin.host.includes(':') ? `[${c.admin.host}]` : c.admin.host}:${server.adminPort}` : ''),
  );
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        await start(rest);
        return -1; // keeps running
      case 'ctl':
        return await ctl(rest);
      case 'passwd':
        return await passwd(rest);
      case 'ui':
        return await ui(rest);
      case 'import-mosquitto':
        return importMosquittoCommand(rest, (t) => process.stdout.write(t), (t) => console.error(t));
      case 'version':
        console.log(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return cmd === undefined ? 1 : 0;
      default:
        console.error(`unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
        return 1;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof DataDirLockedError) console.error(e.message);
    else if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error(`cannot listen: ${(e as Error).message}`);
    else if ((e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) console.error(`${(e as Error).message}\n\n${cmd === 'ctl' ? CTL_USAGE : cmd === 'passwd' ? PASSWD_USAGE : USAGE}`);
    else console.error(e);
    return 1;
  }
}
