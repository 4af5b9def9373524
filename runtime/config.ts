// The runtime's configuration file (YAML or JSON): listeners plus every
// broker key from core/config.ts. Every key has a default; unknown keys and
// bad values stop the start with a message naming each one.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { brokerSchema, defaultBrokerConfig, mergeChecked, ConfigError, type BrokerConfig } from '../core/config.ts';

export interface RuntimeConfig extends BrokerConfig {
  listeners: {
    tcp: { enabled: boolean; host: string; port: number };
    ws: { enabled: boolean; host: string; port: number; path: string };
  };
  /** Bytes a client may leave unread before it is disconnected as a slow consumer. */
  maxWriteBuffer: number;
}

const port = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? null : 'must be a port number 0-65535');
const host = (v: unknown) => (typeof v === 'string' && v.length > 0 ? null : 'must be a host name or address');
const bool = (v: unknown) => (typeof v === 'boolean' ? null : 'must be true or false');
const path = (v: unknown) => (typeof v === 'string' && v.startsWith('/') ? null : 'must start with /');
const bytes = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 65536 ? null : 'must be an integer >= 65536');

export const runtimeSchema: Record<string, unknown> = {
  ...brokerSchema,
  listeners: {
    tcp: { enabled: bool, host, port },
    ws: { enabled: bool, host, port, path },
  },
  maxWriteBuffer: bytes,
};

export function defaultRuntimeConfig(): RuntimeConfig {
  return {
    ...defaultBrokerConfig(),
    listeners: {
      tcp: { enabled: true, host: '0.0.0.0', port: 1883 },
      ws: { enabled: true, host: '0.0.0.0', port: 8083, path: '/mqtt' },
    },
    maxWriteBuffer: 16 * 1024 * 1024,
  };
}

export function runtimeConfig(overrides?: unknown): RuntimeConfig {
  const { value, errors } = mergeChecked(runtimeSchema, defaultRuntimeConfig(), overrides);
  if (errors.length) throw new ConfigError(errors);
  return value;
}

/** Reads a .yaml/.yml/.json config file into a plain object (not yet validated). */
export function readConfigFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError([`${file}: cannot parse: ${(e as Error).message}`]);
  }
}

export function brokerPart(c: RuntimeConfig): BrokerConfig {
  const { listeners: _l, maxWriteBuffer: _m, ...b } = c;
  return b;
}
