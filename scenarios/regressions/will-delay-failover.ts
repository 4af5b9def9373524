// Regression (issue 13, bug 6): on the failover path the will waited its
// full Will Delay even when the session expired first. A v5 device on n1
// (Will Delay `delay` s, Session Expiry `expiry` s) loses its node; the
// backup restores its session. The will must be published once, at the
// earlier of the two after the loss was detected [MQTT-3.1.2-8, 3.1.3.2.2],
// as it is when a client's connection closes on a single node.
import { defineScenario } from '../../sim/scenario.ts';
import { is } from '../../sim/events.ts';
import { convergenceProblems } from '../../sim/convergence.ts';

export default defineScenario({
  name: 'will-delay-failover',
  description: '2 or 3 nodes; a device with Will Delay 10 s and Session Expiry 5 s loses its node',
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'].slice(0, ctx.param('nodes', 3));
    const delay = ctx.param('delay', 10);
    const expiry = ctx.param('expiry', 5);
    w.addCluster(nodes);
    const monitor = w.client('monitor', {
      target: nodes[nodes.length - 1],
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter: 'status/#', qos: 1 }],
    });
    const dev = w.client('dev', {
      target: 'n1',
      version: 5,
      clean: expiry === 0,
      sessionExpiry: expiry,
      keepalive: 10,
      reconnect: false,
      will: { topic: 'status/dev', payload: 'offline', qos: 1, delay },
    });
    if (
      !(await w.until(() => convergenceProblems(w).length === 0 && monitor.connected && dev.connected, {
        timeoutMs: 30_000,
      }))
    ) {
      return ctx.violation('liveness', 'cluster or clients did not come up');
    }
    await w.sleep(1000);
    const crashAt = w.now;
    w.crash('n1', 'power');
    await w.sleep(delay * 1000 + 30_000);

    const ev = w.history.events;
    const down = ev.find(
      (e) => e.type === 'cluster.peer.down' && e.node === 'n2' && e.peer === 'n1' && e.t >= crashAt,
    );
    const wills = ev.filter(is('will')).filter((e) => e.c === 'dev');
    const due = Math.min(delay, expiry) * 1000;
    ctx.report(
      'will',
      `n1 crashed at ${crashAt.toFixed(0)}, lost at ${down?.t.toFixed(0)}; will at ${wills.map((e) => `${e.t.toFixed(0)} on ${e.node}`).join(', ') || 'never'}; due ${due} ms after the loss`,
    );
    if (!down) return ctx.violation('liveness', 'n2 never saw n1 go down');
    if (wills.length !== 1)
      return ctx.violation('will-once', `the will was published ${wills.length} times, expected once`);
    const after = wills[0].t - down.t;
    // The session expires (or the delay ends) `due` after the backup learned of the loss; 1 s of slack for the timers.
    if (after > due + 1000)
      ctx.violation(
        'will-at-earlier',
        `will published ${after.toFixed(0)} ms after the loss, due after ${due} ms (delay ${delay} s, session expiry ${expiry} s)`,
      );
    if (wills[0].t - crashAt < due - 1000)
      ctx.violation(
        'will-not-early',
        `will published ${(wills[0].t - crashAt).toFixed(0)} ms after the crash, before ${due} ms`,
      );
    if (!monitor.received.some((r) => r.topic === 'status/dev'))
      ctx.violation('will-delivered', 'the monitor never received the will');
  },
});
