// `runtime ui --admin URL ...`: watches a live cluster through the admin
// API of each node given: polls /health, /api/cluster, /api/stats and
// /api/clients once a second, follows /api/events (Server-Sent Events) for
// cluster events as they happen, and folds both into the UiState model.
// Nodes without an admin URL still appear, as their peers see them.

import http from 'node:http';
import https from 'node:https';
import type { NodeSample, LinkSample } from '../sim/observe.ts';
import { ModelBuilder, type UiState } from './model.ts';
import { progressText, type EvacuationStatus } from '../core/cluster/evacuation.ts';
import { linksText, type LinkStatus } from '../core/link/links.ts';
import { Listeners, type KeyPress, type UiSource } from './source.ts';
import { sseFrames } from '../runtime/admin.ts';

interface Poll {
  url: string;
  ok: boolean;
  healthy: boolean;
  node?: string;
  members?: { node: string; state: string }[];
  stats?: Record<string, unknown>;
  clients?: { queued: number; inflight: number }[];
  /** Its evacuation or rebalance donor part in progress (GET /api/cluster). */
  evacuation?: EvacuationStatus | null;
  /** Its links to other clusters (GET /api/cluster, with cluster.links). */
  links?: LinkStatus[];
  error?: string;
}

const POLL_MS = 1000;

async function getJson(url: string, token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(POLL_MS * 0.9),
  });
  return { status: res.status, body: await res.json() };
}

function sum(o: unknown): number {
  return o && typeof o === 'object'
    ? Object.values(o as Record<string, number>).reduce((a, b) => a + (Number(b) || 0), 0)
    : 0;
}

export class LiveSource implements UiSource {
  readonly model: ModelBuilder;
  private listeners = new Listeners();
  private frame: UiState;
  private t0: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private streams: http.ClientRequest[] = [];
  private names = new Map<string, string>();
  private last = new Map<string, { msgIn: number; msgOut: number; dropped: number }>();
  private wasOk = new Map<string, boolean>();
  private degraded = false;
  private droppedTotal = 0;

  constructor(
    private urls: string[],
    private token: string,
    now = Date.now(),
  ) {
    this.t0 = now;
    this.model = new ModelBuilder(
      `live cluster (${urls.length} admin API${urls.length > 1 ? 's' : ''})`,
      'live',
    );
    this.model.setStatus({ speed: 'live' });
    this.frame = this.model.snapshot();
  }

  start(): void {
    for (const u of this.urls) this.follow(u);
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  private rel(t: number): number {
    return t - this.t0;
  }

  /** GET /api/events: each cluster event straight into the timeline; reconnects when the stream ends. */
  private follow(base: string): void {
    const u = new URL('/api/events', base);
    const get = u.protocol === 'https:' ? https.get : http.get;
    const req = get(u, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {} }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        const frames = sseFrames(buf + chunk);
        buf = frames.rest;
        for (const data of frames.data) {
          try {
            const ev = JSON.parse(data);
            const t = this.rel(Number(ev.t));
            delete ev.t;
            this.model.event(t, ev);
            this.publish();
          } catch {
            // A malformed event is skipped; the next poll still shows the state.
          }
        }
      });
      res.on('end', () => this.retry(base, req));
    });
    req.on('error', () => this.retry(base, req));
    this.streams.push(req);
  }

  private retry(base: string, req: http.ClientRequest): void {
    this.streams = this.streams.filter((r) => r !== req);
    if (this.timer) setTimeout(() => this.timer && this.follow(base), 2000);
  }

  private async pollOne(url: string): Promise<Poll> {
    try {
      const api = (p: string) => getJson(new URL(p, url).href, this.token);
      const [h, c, s, cl] = await Promise.all([
        api('/health'),
        api('/api/cluster'),
        api('/api/stats'),
        api('/api/clients'),
      ]);
      if (s.status !== 200)
        return { url, ok: false, healthy: false, error: String(s.body?.error ?? s.status) };
      return {
        url,
        ok: true,
        healthy: h.status === 200,
        node: s.body.node,
        members: c.body.members ?? [],
        stats: s.body,
        clients: cl.body.clients ?? [],
        evacuation: c.body.evacuation,
        links: c.body.links,
      };
    } catch (e) {
      return { url, ok: false, healthy: false, error: (e as Error).message };
    }
  }

  async poll(): Promise<void> {
    const polls = await Promise.all(this.urls.map((u) => this.pollOne(u)));
    const t = this.rel(Date.now());
    this.model.setTime(t);
    for (const p of polls) if (p.node) this.names.set(p.url, p.node);
    const byName = new Map<string, Poll>();
    for (const p of polls) {
      const n = p.node ?? this.names.get(p.url);
      if (n) byName.set(n, p);
      const was = this.wasOk.get(p.url);
      if (was !== undefined && was !== p.ok) {
        this.model.timeline(
          t,
          'node',
          p.ok ? `${n ?? p.url} answers again` : `${n ?? p.url} not answering (${p.error})`,
        );
        if (!p.ok) this.model.phase(t, `${n ?? 'node'} down`);
      }
      this.wasOk.set(p.url, p.ok);
    }
    const views = new Map<string, Record<string, string>>();
    for (const [n, p] of byName)
      if (p.ok)
        views.set(
          n,
          Object.fromEntries((p.members ?? []).filter((m) => m.node !== n).map((m) => [m.node, m.state])),
        );
    const names = new Set<string>(byName.keys());
    for (const v of views.values()) for (const n of Object.keys(v)) names.add(n);
    const sorted = [...names].sort();
    const nodes: NodeSample[] = sorted.map((n) => {
      const p = byName.get(n);
      const seenBy = [...views].filter(([o]) => o !== n).map(([, v]) => v[n]);
      let state: NodeSample['state'];
      if (p && !p.ok) state = 'stopped';
      else if (!p)
        state = seenBy.includes('running')
          ? 'running'
          : seenBy.includes('unreachable')
            ? 'unreachable'
            : 'stopped';
      else {
        const self = p.members?.find((m) => m.node === n)?.state ?? 'running';
        state =
          self !== 'running' && (p.members?.length ?? 0) > 0
            ? 'stopped'
            : seenBy.includes('unreachable')
              ? 'unreachable'
              : 'running';
      }
      const st = p?.ok ? p.stats! : {};
      return {
        name: n,
        state,
        uptimeMs: Number(st.uptimeSec ?? 0) * 1000,
        connections: Number(st.connections ?? 0),
        sessions: Number(st.sessions ?? 0),
        routes: Number(st.routes ?? 0),
        queued: (p?.clients ?? []).reduce((a, c) => a + (Number(c.queued) || 0), 0),
        inflight: (p?.clients ?? []).reduce((a, c) => a + (Number(c.inflight) || 0), 0),
        msgIn: Number(st.messagesIn ?? 0),
        msgOut: Number(st.messagesOut ?? 0),
        peers: views.get(n) ?? {},
        ...(p?.ok && p.evacuation ? { maintenance: progressText(p.evacuation) } : {}),
        ...(p?.ok && p.links?.length ? { links: linksText(p.links) } : {}),
      };
    });
    const links: LinkSample[] = [];
    for (let i = 0; i < sorted.length; i++)
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i];
        const b = sorted[j];
        const na = nodes[i];
        const nb = nodes[j];
        const ab = views.get(a)?.[b];
        const ba = views.get(b)?.[a];
        if (na.state === 'stopped' || nb.state === 'stopped') links.push({ a, b, state: 'down' });
        else if ((ab ?? 'running') === 'running' && (ba ?? 'running') === 'running')
          links.push({ a, b, state: 'up' });
        else if (ab === 'running' || ba === 'running')
          links.push({ a, b, state: 'one-way', open: ba === 'running' ? `${a}>${b}` : `${b}>${a}` });
        else links.push({ a, b, state: 'cut' });
      }
    this.model.sample({ t, nodes, links, balancers: [] });
    // Message counters: deltas of the nodes' statistics since the last poll.
    let published = 0;
    let delivered = 0;
    let dropped = 0;
    for (const [n, p] of byName) {
      if (!p.ok) continue;
      const cur = {
        msgIn: Number(p.stats!.messagesIn ?? 0),
        msgOut: Number(p.stats!.messagesOut ?? 0),
        dropped: sum(p.stats!.dropped),
      };
      const prev = this.last.get(n);
      // A restarted node starts its counters again from zero.
      if (prev && cur.msgIn >= prev.msgIn && cur.msgOut >= prev.msgOut && cur.dropped >= prev.dropped) {
        published += cur.msgIn - prev.msgIn;
        delivered += cur.msgOut - prev.msgOut;
        dropped += cur.dropped - prev.dropped;
      }
      this.last.set(n, cur);
    }
    this.model.counters({
      published,
      delivered,
      dropped,
      queued: nodes.reduce((a, n) => a + n.queued, 0),
      inflight: nodes.reduce((a, n) => a + n.inflight, 0),
    });
    this.judge(t, polls, nodes, dropped);
    this.publish();
  }

  private judge(t: number, polls: Poll[], nodes: NodeSample[], dropped: number): void {
    const sick = polls
      .filter((p) => !p.healthy)
      .map((p) => `${p.node ?? this.names.get(p.url) ?? p.url}: ${p.ok ? 'unhealthy (503)' : p.error}`);
    this.model.property(
      'health',
      sick.length ? 'failing' : 'passing',
      sick.length ? sick.join('; ') : `${polls.length} node(s) healthy`,
    );
    const disagree = nodes
      .filter((n) => n.state !== 'stopped')
      .flatMap((n) =>
        Object.entries(n.peers)
          .filter(([, s]) => s !== 'running')
          .map(([p, s]) => `${n.name} sees ${p} ${s}`),
      );
    this.model.property(
      'membership',
      disagree.length ? 'failing' : 'passing',
      disagree.length ? disagree.join('; ') : 'all running nodes agree',
    );
    const degraded = sick.length > 0 || disagree.length > 0;
    if (degraded !== this.degraded) this.model.phase(t, degraded ? 'degraded' : 'all up');
    this.degraded = degraded;
    this.droppedTotal += dropped;
    if (dropped > 0)
      this.model.property(
        'no-drops',
        'failing',
        `${this.droppedTotal} message(s) dropped since attaching (see runtime ctl broker stats)`,
      );
  }

  private publish(): void {
    this.frame = this.model.snapshot();
    this.listeners.emit();
  }

  current(): UiState {
    return this.frame;
  }

  subscribe(fn: () => void): () => void {
    return this.listeners.add(fn);
  }

  key(_k: KeyPress): void {}

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const r of this.streams) r.destroy();
    this.streams = [];
  }
}
