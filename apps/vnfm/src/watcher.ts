import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { LOG, NATS, type Logger } from '@vnf-lcm/bus';
import { isErrorReply, Lifecycle } from '@vnf-lcm/contracts';
import { ClusterStore, type ClusterState } from './cluster.store.js';
import { Heartbeats } from './heartbeats.js';
import { leaving, retryInMs, type Refusal } from './heal-retry.js';
import { FailureCause, healRequested } from './metrics.js';

/** How the VNFM watches: env VNFM_FAILURE_MS (default 800: three missed heartbeats of 250 ms and a margin, so that a dead node is known within 1 s), VNFM_WATCH_MS (default 100). */
const FAILURE_MS = Number(process.env.VNFM_FAILURE_MS ?? 800);
const TICK_MS = Number(process.env.VNFM_WATCH_MS ?? 100);
/**
 * A node not heard since the VNFM started is silent only after this long (env
 * VNFM_START_GRACE_MS, default 3000, never less than FAILURE_MS): when the launcher starts again
 * on hosts that outlived it, their agents reconnect with nats.js's wait and TLS jitter (up to
 * about 1.3 s an attempt), and were taken for dead at the first ticks (issue 13.7).
 */
const START_GRACE_MS = Math.max(FAILURE_MS, Number(process.env.VNFM_START_GRACE_MS ?? 3000));
const AUTOSCALE_MS = 1000;
const DEFAULT_COOLDOWN_MS = 30_000;

/**
 * The VNFM's own initiative: it requests healing of a node whose host the VIM said died, whose
 * heartbeats stopped or whose application failed, and scale-out or scale-in of a cluster whose
 * metric left its policy's band. News of a death (host down, a failed application's beat) makes
 * it look at once instead of at the next tick.
 */
@Injectable()
export class Watcher implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private readonly since = Date.now();
  private clusters: ClusterState[] = [];
  private lastLoad = 0;
  private lastScale = 0;
  /** nodes whose healing was accepted: not asked for twice */
  private readonly healing = new Set<string>();
  /** a node whose healing was refused (another operation runs): when to ask again, and how many refusals in a row */
  private readonly refused = new Map<string, { at: number; times: number }>();
  private readonly lastAction = new Map<string, number>();
  private busy = false;
  /** an alarm came while a tick ran: run another right after it */
  private again = false;

  constructor(
    @Inject(ClusterStore) private readonly store: ClusterStore,
    @Inject(Heartbeats) private readonly beats: Heartbeats,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.beats.onAlarm = () => this.kick();
  }

  /** look now (a host down, an application failed); once more after the tick running, if one is */
  private kick() {
    if (this.busy) this.again = true;
    else void this.tick();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }

  private async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = Date.now();
      if (now - this.lastLoad > 500) {
        this.clusters = await this.store.all();
        this.lastLoad = now;
        const known = new Set(this.clusters.flatMap((c) => c.nodes.map((n) => n.node)));
        for (const n of this.healing) if (!known.has(n)) this.healing.delete(n);
        for (const n of this.refused.keys()) if (!known.has(n)) this.refused.delete(n);
        this.beats.prune(known);
      }
      for (const c of this.clusters) await this.checkNodes(c, now);
      if (now - this.lastScale >= AUTOSCALE_MS) {
        this.lastScale = now;
        for (const c of this.clusters) if (c.spec.autoscale) await this.autoscale(c, now);
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'watch tick failed');
    } finally {
      this.busy = false;
      if (this.again) {
        this.again = false;
        setImmediate(() => void this.tick());
      }
    }
  }

  private async checkNodes(c: ClusterState, now: number) {
    for (const n of c.nodes) {
      if (n.state !== 'running' || this.healing.has(n.node) || this.beats.forgotten(n.node) || leaving(c, n.node) || (this.refused.get(n.node)?.at ?? 0) > now)
        continue;
      const failed = this.failure(n.node, now);
      if (!failed) continue;
      const { reason } = failed;
      const r = await this.ask(Lifecycle.Subject.heal, { vnf: c.vnf, node: n.node, requestedBy: 'VNFM', reason });
      const at = { vnf: c.vnf, cluster: c.name, node: n.node, reason };
      if (r.ok) {
        this.healing.add(n.node);
        this.refused.delete(n.node);
        healRequested(r.op, failed.cause, failed.since);
        this.log.warn({ ...at, op: r.op }, 'node failed: healing requested');
        continue;
      }
      // another operation runs (a terminate removes the node anyway): asked again later, less
      // often the longer it is refused; said once, not at every refusal
      const times = (this.refused.get(n.node)?.times ?? 0) + 1;
      const retryMs = retryInMs(r.refusal, times);
      this.refused.set(n.node, { at: now + retryMs, times });
      // a host-down is for asking at once; asked again later, the heartbeats say whether the node
      // is still dead (the operation running meanwhile may have started its host again in place)
      this.beats.settleDown(n.node);
      if (times === 1) this.log.warn({ ...at, refused: r.refusal.why, holder: r.refusal.holder, retryMs }, 'node failed: healing refused; asking again later');
      else this.log.debug({ ...at, refused: r.refusal.why, times, retryMs }, 'healing refused again');
    }
  }

  /** why the node failed, and since when (for the detection time: vnf_vnfm_heal_detection_seconds) */
  private failure(node: string, now: number): { reason: string; cause: FailureCause; since: number } | undefined {
    const down = this.beats.down(node);
    if (down) return { reason: down.reason, cause: FailureCause.hostDown, since: down.at };
    const b = this.beats.get(node);
    const last = b?.at ?? this.since;
    if (now - last > (b ? FAILURE_MS : START_GRACE_MS)) return { reason: `no heartbeat for ${now - last} ms`, cause: FailureCause.silence, since: last };
    const app = { cause: FailureCause.application, since: b?.failingSince ?? b?.at ?? now };
    if (b?.beat.app.state === 'failed') return { reason: `application failed: ${b.beat.app.reason ?? 'exited'}`, ...app };
    if (b?.beat.app.healthy === false) return { reason: `health check failing: ${b.beat.app.reason ?? ''}`.trim(), ...app };
    return undefined;
  }

  private async autoscale(c: ClusterState, now: number) {
    const p = c.spec.autoscale!;
    if (now - (this.lastAction.get(`${c.vnf}.${c.name}`) ?? 0) < (p.cooldownMs ?? DEFAULT_COOLDOWN_MS)) return;
    const values = c.members.map((m) => this.beats.get(m)?.beat.metrics?.[p.metric]).filter((v): v is number => typeof v === 'number');
    if (!values.length) return;
    const avg = values.reduce((a, b) => a + b, 0) / values.length;
    const n = c.members.length;
    const min = c.spec.min ?? Math.min(1, c.spec.nodes);
    const max = c.spec.max ?? Math.max(c.spec.nodes, 1000);
    const subject = avg > p.out && n < max ? Lifecycle.Subject.scaleOut : avg < p.in && n > min ? Lifecycle.Subject.scaleIn : undefined;
    if (!subject) return;
    const reason = `${p.metric} ${avg.toFixed(1)} ${subject === Lifecycle.Subject.scaleOut ? `> ${p.out}` : `< ${p.in}`}`;
    const r = await this.ask(subject, { vnf: c.vnf, cluster: c.name, by: 1, requestedBy: 'VNFM', reason });
    if (r.ok) this.lastAction.set(`${c.vnf}.${c.name}`, now);
    this.log.info({ vnf: c.vnf, cluster: c.name, reason, accepted: r.ok, op: r.op, refused: r.why }, `${subject.split('.').pop()} requested`);
  }

  /** VNFM->AO: request ..., plain JSON like any other requester. */
  private async ask(
    subject: string,
    body: object,
  ): Promise<{ ok: true; op: string; why?: undefined } | { ok: false; op?: undefined; refusal: Refusal; why: string }> {
    try {
      const r = (await this.nc.request(subject, JSON.stringify(body), { timeout: 5000 })).json<Lifecycle.Reply>();
      if (isErrorReply(r)) {
        const holder = (r.error.details as { algorithm?: unknown } | undefined)?.algorithm;
        const why = `${r.error.err_code}: ${r.error.description}`;
        return { ok: false, why, refusal: { err_code: r.error.err_code, holder: typeof holder === 'string' ? holder : undefined, why } };
      }
      return { ok: true, op: r.op };
    } catch (err) {
      const why = (err as Error).message;
      return { ok: false, why, refusal: { why } };
    }
  }
}
