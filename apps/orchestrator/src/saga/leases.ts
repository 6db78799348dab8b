import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isCasConflict, LOG, type Logger } from '@vnf-lcm/bus';
import type { Records } from '@vnf-lcm/contracts';
import { OpHandle } from '../records/op-handle.js';
import { RecordsStore } from '../records/records.store.js';
import { LEASE_MS, leasedTo, orphaned, resumeMode } from './lease-rules.js';
import { OperationRunner } from './runner.js';

/**
 * Claims on operations: any orchestrator (a restarted one, or a second instance) takes over an
 * operation whose lease ran out and continues it from its last recorded step.
 */
@Injectable()
export class Leases implements OnApplicationBootstrap, OnModuleDestroy {
  /** this orchestrator, as the `owner` of the operations it drives */
  readonly instance = randomUUID();
  private scanner?: NodeJS.Timeout;

  constructor(
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(OperationRunner) private readonly runner: OperationRunner,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  onApplicationBootstrap() {
    void this.scan();
    this.scanner = setInterval(() => void this.scan(), Math.min(1000, LEASE_MS / 2));
  }

  onModuleDestroy() {
    clearInterval(this.scanner);
  }

  /** Compare-and-set the owner: at most one orchestrator wins an operation. */
  async claim(id: string, when: (r: Records.OpRecord) => boolean): Promise<OpHandle | undefined> {
    const cur = await this.store.ops.get(id);
    if (!cur || !when(cur.value)) return undefined;
    const next = leasedTo(cur.value, this.instance, Date.now());
    try {
      const revision = await this.store.ops.update(id, next, cur.revision);
      return new OpHandle(this.store.ops, next, revision);
    } catch (err) {
      // another orchestrator won; anything else (NATS away) is not a lost race and says so
      if (isCasConflict(err)) return undefined;
      throw err;
    }
  }

  /** Takes over every active operation whose lease ran out (its orchestrator is gone). */
  private async scan() {
    let records;
    try {
      records = await this.store.ops.values();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'scan for operations to resume failed');
      return;
    }
    for (const r of records) {
      // one record that cannot be claimed or read now is not a reason to leave the others
      try {
        if (this.runner.drives(r.id) || !orphaned(r, Date.now())) continue;
        const h = await this.claim(r.id, (x) => orphaned(x, Date.now()));
        if (!h) continue;
        this.log.info({ op: r.id, vnf: r.vnf, state: r.state, steps: h.record.steps.length, from: r.owner }, 'resuming operation');
        this.runner.launch(h, resumeMode(h.record));
      } catch (err) {
        this.log.warn({ op: r.id, err: (err as Error).message }, 'operation not resumed now; the next scan tries again');
      }
    }
  }
}
