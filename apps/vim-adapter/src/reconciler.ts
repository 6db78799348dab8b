import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Bus, BusError, LOG, type Logger } from '@vnf-lcm/bus';
import { Participant, Query } from '@vnf-lcm/contracts';
import type { ReconcileConfig } from './config.js';
import type { HostInfo } from './drivers/driver.js';
import { HostService } from './host.service.js';
import { HostWatch } from './host-watch.js';
import { Orphans } from './orphans.js';
import { isOwned, ownersOf, type Owners } from './ownership.js';
import { Zones } from './zones.js';

export const RECONCILE = Symbol('reconcile-config');

/** The orchestrator reads every record from its KV bucket to answer; give it time, but not forever. */
const OWNERS_TIMEOUT_MS = 5_000;

/**
 * Compares the hosts that really exist in the zones served here (each adapter reconciles its own)
 * with the nodes the orchestrator's records
 * own. A host nobody owns is reported, and removed once it has stayed an orphan for the grace
 * period. When ownership cannot be known (the orchestrator does not answer) the round does
 * nothing: a host is never removed on a guess.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** whether the last round knew who owns what; only changes are logged */
  private knew = true;

  constructor(
    @Inject(RECONCILE) private readonly cfg: ReconcileConfig,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(LOG) private readonly log: Logger,
    @Inject(Zones) private readonly zones: Zones,
    @Inject(HostService) private readonly hosts: HostService,
    @Inject(Orphans) private readonly orphans: Orphans,
    @Inject(HostWatch) private readonly watch: HostWatch,
  ) {}

  onApplicationBootstrap(): void {
    if (this.cfg.everyMs > 0) this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  // one round at a time: the next is timed from the end of the last
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round()
        .catch((err: Error) => this.log.warn({ err: err.message }, 'reconciliation round failed'))
        .finally(() => this.schedule());
    }, this.cfg.everyMs);
  }

  async round(): Promise<void> {
    // hosts first, records second: a host created after the records were read is not in this list
    const listed = new Set<string>();
    const hosts: HostInfo[] = [];
    for (const [i, r] of (await Promise.allSettled(this.zones.all().map((d) => d.list()))).entries()) {
      const zone = this.zones.all()[i].zone;
      if (r.status === 'fulfilled') {
        listed.add(zone);
        hosts.push(...r.value);
      } else this.log.warn({ zone, err: (r.reason as Error)?.message }, 'cannot list zone: its hosts are left as they are');
    }
    const owners = await this.owners(new Set(hosts.map((h) => h.vnf)));
    if (!owners || this.stopped) return;

    const now = Date.now();
    const orphans = hosts.filter((h) => !isOwned(h, owners, now, this.cfg.graceMs));
    const fresh = new Set(this.orphans.update(listed, orphans, now));
    for (const h of fresh)
      this.log.warn({ vnf: h.vnf, node: h.node, zone: h.zone, address: h.address, orphanSince: new Date(now).toISOString() }, 'orphan host');
    if (!this.cfg.remove) return;
    // an orphan is removed in a later round than the one that first saw it, so a grace of 0
    // still reports it once before it goes
    const due = orphans.filter((h) => !fresh.has(h) && now - (this.orphans.since(h) ?? now) >= this.cfg.graceMs);
    await Promise.all(due.map((h) => this.removeOrphan(h)));
  }

  /**
   * The records of the VNFs that have hosts, one vnf-get each: every VNF's whole record in one
   * reply (vnf-list as it was) outgrew a message. A VNF the orchestrator does not know owns
   * nothing. undefined when the orchestrator cannot tell: no responders, a timeout or an error reply.
   */
  private async owners(vnfs: Set<string>): Promise<Owners | undefined> {
    try {
      const records = await Promise.all(
        [...vnfs].map((vnf) =>
          this.bus.call<Query.VnfGetReply>(Participant.ao, Query.Subject.vnfGet, { vnf }, { op: 'reconcile', timeoutMs: OWNERS_TIMEOUT_MS }).then(
            (r) => {
              if (typeof r?.vnf?.name !== 'string') throw new Error('vnf-get reply has no vnf');
              return [r.vnf];
            },
            (err: unknown) => {
              if (err instanceof BusError && err.body.err_code === 'not_found') return [];
              throw err;
            },
          ),
        ),
      );
      if (!this.knew) this.log.info('orchestrator answers: reconciliation resumed');
      this.knew = true;
      return ownersOf(records.flat());
    } catch (err) {
      const reason = err instanceof BusError ? err.body.description : (err as Error).message;
      if (this.knew) this.log.warn({ reason }, 'host ownership unknown: no host is removed until the orchestrator answers');
      this.knew = false;
      return undefined;
    }
  }

  private async removeOrphan(h: HostInfo): Promise<void> {
    const op = `reconcile-${randomUUID()}`;
    const orphanSince = new Date(this.orphans.since(h) ?? Date.now()).toISOString();
    const where = { op, vnf: h.vnf, node: h.node, zone: h.zone, address: h.address, orphanSince };
    try {
      // the same host only: one created again under this node id since the listing is left alone
      const r = await this.watch.removing(h.node, () => this.hosts.remove({ op }, h.zone, { node: h.node }, (now) => now.createdAt === h.createdAt));
      this.orphans.forget(h.node);
      if (r.removed) this.log.info(where, 'orphan host removed');
    } catch (err) {
      this.log.warn({ ...where, err: (err as Error).message }, 'orphan host removal failed: trying again next round');
    }
  }
}
