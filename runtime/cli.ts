// `runtime` command line: start a broker process.

import { parseArgs } from 'node:util';
import { ConfigError } from '../core/config.ts';
import { VERSION } from '../core/broker.ts';
import { readConfigFile } from './config.ts';
import { startServer } from './server.ts';

const USAGE = `usage: runtime <command> [options]

commands:
  start     run a broker
  version   print the version

start options:
  --config FILE     YAML or JSON config file (see README "Configuration")
  --node NAME       node name (default mqttlab)
  --host ADDR       bind address for all listeners (default 0.0.0.0)
  --port N          MQTT over TCP port (default 1883; 0 = any free port)
  --ws-port N       MQTT over WebSocket port, path /mqtt (default 8083)
  --no-ws           disable the WebSocket listener
  --no-tcp          disable the TCP listener
`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError([`--${name}: must be an integer (got ${JSON.stringify(v)})`]);
  return n;
}

async function start(argv: string[]): Promise<void> {
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

  const server = await startServer(cfg);
  const c = server.config;
  console.log(
    `mqttlab ${VERSION} node ${c.node}: ` +
      [server.tcpPort !== undefined && `mqtt://${c.listeners.tcp.host}:${server.tcpPort}`, server.wsPort !== undefined && `ws://${c.listeners.ws.host}:${server.wsPort}${c.listeners.ws.path}`]
        .filter(Boolean)
        .join(' '),
  );
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${sig}: shutting down`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        await start(rest);
        return -1; // keeps running
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
    if (e instanceof ConfigError) console.error(e.message);
    else if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error(`cannot listen: ${(e as Error).message}`);
    else if ((e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) console.error(`${(e as Error).message}\n\n${USAGE}`);
    else console.error(e);
    return 1;
  }
}
