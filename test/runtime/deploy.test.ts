// What can be checked of the deployment files without Docker or Kubernetes:
// they parse, they agree with each other (names, ports, labels, SRV name),
// every broker command line and config in them is accepted by the runtime's
// own flag parser and config validation, the Dockerfile copies what exists,
// and HAProxy accepts its config.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startOverrides } from '../../runtime/cli.ts';
import { runtimeConfig, type RuntimeConfig } from '../../runtime/config.ts';
import { tool, titled } from '../helpers/tools.ts';

const hp = tool('haproxy');

const env = { MQTTLAB_CLUSTER_SECRET: 's3cret', MQTTLAB_ADMIN_TOKEN: 't0ken' };

/** The config a `runtime` argv (after the entrypoint) would start with. */
function configOf(argv: string[], files: Record<string, string> = {}): RuntimeConfig {
  expect(argv[0]).toBe('start');
  const args = argv.slice(1);
  // A --config naming a file of the image (the ConfigMap) is read from the given text instead.
  const i = args.indexOf('--config');
  let file: Record<string, unknown> = {};
  if (i >= 0) {
    file = parse(files[args[i + 1]]);
    args.splice(i, 2);
  }
  const flags = startOverrides(args, env);
  const merged = {
    ...file,
    ...flags,
    cluster: { ...(file.cluster as object), ...flags.cluster },
    admin: { ...(file.admin as object), ...flags.admin },
  };
  return runtimeConfig(merged);
}

const k8s = Object.fromEntries(
  readdirSync('deploy/k8s')
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(`deploy/k8s/${f}`, 'utf8')).map((d) => d.toJS()))
    .map((d: any) => [`${d.kind}/${d.metadata.name}`, d]),
);

describe('Kubernetes manifests', () => {
  it('hold a StatefulSet, headless and client Services, ConfigMap and PodDisruptionBudget that agree with each other', () => {
    expect(Object.keys(k8s).sort()).toEqual([
      'ConfigMap/mqttlab',
      'PodDisruptionBudget/mqttlab',
      'Service/mqttlab',
      'Service/mqttlab-headless',
      'StatefulSet/mqttlab',
    ]);
    const sts = k8s['StatefulSet/mqttlab'];
    const headless = k8s['Service/mqttlab-headless'];
    const labels = sts.spec.template.metadata.labels;
    expect(sts.spec.serviceName).toBe('mqttlab-headless');
    expect(headless.spec.clusterIP).toBe('None');
    for (const sel of [
      sts.spec.selector.matchLabels,
      headless.spec.selector,
      k8s['Service/mqttlab'].spec.selector,
      k8s['PodDisruptionBudget/mqttlab'].spec.selector.matchLabels,
    ]) {
      for (const [k, v] of Object.entries(sel)) expect(labels[k]).toBe(v);
    }
    const c = sts.spec.template.spec.containers[0];
    const portNames = c.ports.map((p: any) => p.name);
    for (const svc of [headless, k8s['Service/mqttlab']])
      for (const p of svc.spec.ports) expect(portNames).toContain(p.targetPort);
    // The SRV name discovery resolves is the headless Service's "cluster" port.
    expect(headless.spec.ports.map((p: any) => p.name)).toContain('cluster');
    expect(c.args[c.args.indexOf('--dns-name') + 1]).toBe(
      '_cluster._tcp.mqttlab-headless.$(POD_NAMESPACE).svc.cluster.local',
    );
    expect(c.args[c.args.indexOf('--advertise') + 1]).toMatch(/^\$\(POD_NAME\)\.mqttlab-headless\./);
    expect(sts.spec.template.spec.volumes[0].configMap.name).toBe('mqttlab');
    expect(k8s['PodDisruptionBudget/mqttlab'].spec.maxUnavailable).toBe(1);
  });

  it("the pods' command line with the ConfigMap is a valid broker config: DNS discovery, admin with a token, drain on SIGTERM", () => {
    const c = k8s['StatefulSet/mqttlab'].spec.template.spec.containers[0];
    const argv = c.args.map((a: string) =>
      a.replace('$(POD_NAME)', 'mqttlab-1').replace('$(POD_NAMESPACE)', 'default'),
    );
    const cfg = configOf(argv, {
      '/etc/mqttlab/mqttlab.yaml': k8s['ConfigMap/mqttlab'].data['mqttlab.yaml'],
    });
    expect(cfg.node).toBe('mqttlab-1');
    expect(cfg.cluster).toMatchObject({
      enabled: true,
      discovery: 'dns',
      dnsName: '_cluster._tcp.mqttlab-headless.default.svc.cluster.local',
      advertise: 'mqttlab-1.mqttlab-headless.default.svc.cluster.local:4370',
      secret: 's3cret',
    });
    expect(cfg.admin).toMatchObject({ enabled: true, host: '0.0.0.0', port: 18083, token: 't0ken' });
    expect(cfg.shutdown.drainMs).toBeGreaterThan(0);
    const grace = k8s['StatefulSet/mqttlab'].spec.template.spec.terminationGracePeriodSeconds * 1000;
    expect(cfg.shutdown.drainMs + cfg.shutdown.handoffTimeoutMs).toBeLessThan(grace);
  });
});

describe('docker compose', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true });

  it('runs three nodes that list each other as seeds, and HAProxy with deploy/haproxy.cfg', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['haproxy', 'mq1', 'mq2', 'mq3']);
    for (const n of ['mq1', 'mq2', 'mq3']) {
      const s = compose.services[n];
      expect(s.build).toBe('.');
      const cfg = configOf(s.command);
      expect(cfg.node).toBe(n);
      expect(cfg.cluster).toMatchObject({
        enabled: true,
        discovery: 'static',
        advertise: `${n}:4370`,
        secret: 's3cret',
      });
      expect(cfg.cluster.seeds.sort()).toEqual(['mq1@mq1:4370', 'mq2@mq2:4370', 'mq3@mq3:4370']);
      expect(cfg.admin).toMatchObject({ enabled: true, host: '0.0.0.0', port: 18083 });
      expect(cfg.listeners.tcp.proxyProtocol).toBe(true); // HAProxy sends PROXY v2 headers
    }
    expect(compose.services.haproxy.volumes[0]).toMatch(/^\.\/deploy\/haproxy\.cfg:/);
    const cfgText = readFileSync('deploy/haproxy.cfg', 'utf8');
    for (const n of ['mq1', 'mq2', 'mq3']) expect(cfgText).toMatch(new RegExp(`server ${n} ${n}:1883`));
    expect(cfgText).toMatch(/check port 18083/);
    expect(cfgText).toMatch(/default-server send-proxy-v2 /);
  });

  it.skipIf(!hp.path)(titled('haproxy -c accepts deploy/haproxy.cfg', hp), () => {
    const out = execFileSync(hp.path!, ['-c', '-f', 'deploy/haproxy.cfg'], {
      env: { ...process.env, MQTTLAB_ADMIN_TOKEN: 't' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toMatch(/Configuration file is valid/);
  });
});

describe('seed sweep templates', () => {
  // The sweep job runs `sim run ... --shard k/N` in the broker image; the CI template the same per matrix entry.
  it('the Indexed Job runs one shard per completion index, N in step with completions', () => {
    // Outside deploy/k8s/: `kubectl apply -f deploy/k8s/` starts the broker, not a sweep.
    const job = parse(readFileSync('deploy/sweep/k8s-sweep-job.yaml', 'utf8'));
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toBe(k8s['StatefulSet/mqttlab'].spec.template.spec.containers[0].image);
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(Number(env.SHARDS)).toBe(job.spec.completions);
    expect(existsSync(env.SCENARIO)).toBe(true);
    expect(c.args[0]).toContain(
      'node bin/sim.js run "$SCENARIO" --seeds "$SEEDS" --shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS"',
    );
    expect(c.args[0]).toContain('--json');
  });

  it('the CI matrix template has one job per shard and merges their results', () => {
    const wf = parse(readFileSync('.github/workflows/sweep.yml', 'utf8'));
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual(
      Array.from({ length: wf.env.SHARDS }, (_, i) => i + 1),
    );
    const steps = JSON.stringify(wf.jobs.shard.steps);
    expect(steps).toContain('--shard \\"${{ matrix.shard }}/$SHARDS\\"');
    expect(JSON.stringify(wf.jobs.merge.steps)).toContain('npx sim report merge shard-*.json');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  const lines = text.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  it('copies paths that exist, installs production dependencies only, runs as non-root with a health check', () => {
    expect(lines[0]).toBe('FROM node:22-slim');
    for (const l of lines.filter((x) => x.startsWith('COPY '))) {
      const parts = l.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(existsSync(p), `${p} exists`).toBe(true);
    }
    expect(text).toMatch(/RUN npm ci --omit=dev/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^EXPOSE 1883 8083 4370 18083$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n.*\/health/m);
    // The runtime runs from production dependencies: tsx (the entrypoint registers it) and what runtime/ imports.
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    for (const dep of ['tsx', 'classic-level', 'mqtt-packet', 'ws', 'yaml'])
      expect(Object.keys(pkg.dependencies)).toContain(dep);
    // Sources the image leaves out (sim/, ui/, test/, ...) are not imported by what it runs.
    const copied = lines.filter((x) => x.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const outside: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const f = path.join(dir, e.name);
        if (e.isDirectory()) walk(f);
        else if (f.endsWith('.ts')) {
          for (const m of readFileSync(f, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
            const target = path.normalize(path.join(path.dirname(f), m[1]));
            if (!copied.some((c) => target === c || target.startsWith(c + '/')))
              outside.push(`${f} -> ${target}`);
          }
        }
      }
    };
    walk('runtime');
    walk('core');
    walk('sim');
    walk('scenarios');
    expect(outside).toEqual([]);
  });

  it('its default command is a valid broker config with a data dir and the admin API on the health check port', () => {
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(text)![1]);
    const cfg = configOf(cmd);
    expect(cfg.dataDir).toBe('/data');
    expect(cfg.admin).toMatchObject({ enabled: true, host: '127.0.0.1', port: 18083 });
  });
});
