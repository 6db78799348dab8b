import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { LOG, NATS, type Logger } from '@vnf-lcm/bus';
import { Vim } from '@vnf-lcm/contracts';
import type { Driver } from './drivers/driver.js';
import { Zones } from './zones.js';

/**
 * After the VIM removed a host, or failed to start one (and stopped what it had started), a death
 * it caused may still be on its way (Docker's event stream lags its API by a few milliseconds):
 * not reported for this long. A host just started is watched at once: a death right after a
 * start is news.
 */
const AFTERMATH_MS = 1_000;

/**
 * Tells the VNFM at once when a host dies on its own (issue 11/12: a death is known within 100 ms,
 * not after missed heartbeats): each zone's driver watches its running hosts (the process driver
 * the agents' pids, the docker driver Docker's event stream), and a death of a host the VIM itself
 * is not activating or removing is published on `vnf.vim.host-down.<node>`. Once per death: a
 * driver reports a host's death once, and the VNFM and the orchestrator never heal a node twice.
 */
@Injectable()
export class HostWatch implements OnApplicationBootstrap, OnModuleDestroy {
  /** nodes the VIM is activating or removing now: how many requests are at it */
  private readonly busy = new Map<string, number>();
  /** when the last of those ended */
  private readonly ended = new Map<string, number>();
  private readonly stops: (() => void)[] = [];

  constructor(
    @Inject(Zones) private readonly zones: Zones,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    for (const driver of this.zones.all()) {
      const stop = driver.watch?.((node, reason) => this.down(driver, node, reason));
      if (stop) this.stops.push(stop);
    }
  }

  onModuleDestroy(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /**
   * Runs host-activate, which may stop or replace the node's agent (an unfinished start, an agent
   * that answers elsewhere): meanwhile a death of that host is the VIM's own doing, not news; and
   * for a moment after, if the start failed (what it started was stopped).
   */
  activating<T>(node: string, task: () => Promise<T>): Promise<T> {
    return this.expected(node, task, false);
  }

  /** Runs host-remove: meanwhile, and for a moment after, a death of that host is not news. */
  removing<T>(node: string, task: () => Promise<T>): Promise<T> {
    return this.expected(node, task, true);
  }

  private async expected<T>(node: string, task: () => Promise<T>, aftermath: boolean): Promise<T> {
    this.busy.set(node, (this.busy.get(node) ?? 0) + 1);
    let ok = false;
    try {
      const r = await task();
      ok = true;
      return r;
    } finally {
      const left = (this.busy.get(node) ?? 1) - 1;
      if (left > 0) this.busy.set(node, left);
      else this.busy.delete(node);
      const now = Date.now();
      if (aftermath || !ok) this.ended.set(node, now);
      else this.ended.delete(node);
      // the map stays small: a mark older than the aftermath is of no use
      for (const [n, at] of this.ended) if (now - at > AFTERMATH_MS) this.ended.delete(n);
    }
  }

  private down(driver: Driver, node: string, reason: string): void {
    const where = { node, zone: driver.zone, driver: driver.kind, reason };
    if (this.busy.has(node) || Date.now() - (this.ended.get(node) ?? Number.NEGATIVE_INFINITY) < AFTERMATH_MS) {
      this.log.debug(where, 'host stopped by the VIM itself: not reported');
      return;
    }
    const body: Vim.HostDown = { zone: driver.zone, driver: driver.kind, reason, at: new Date().toISOString() };
    try {
      this.nc.publish(Vim.hostDown(node), JSON.stringify(body));
      this.log.warn(where, 'host down: reported');
    } catch (err) {
      this.log.warn({ ...where, err: (err as Error).message }, 'host down: cannot report it (the heartbeats will tell)');
    }
  }
}
