import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Records } from '@vnf-lcm/contracts';
import { OpHandle } from '../records/op-handle.js';
import { RecordsStore } from '../records/records.store.js';
import { now } from '../records/vnf-book.js';
import type { Params } from './algorithms.js';
import { OpEvents } from './events.js';
import { LEASE_MS } from './lease-rules.js';
import { Leases } from './leases.js';
import { OperationRunner } from './runner.js';
import { VnfLock } from './vnf-lock.js';

export interface StartRequest<A extends Records.Algorithm> {
  vnf: string;
  algorithm: A;
  requestedBy: Records.OpRecord['requestedBy'];
  /** the opening arrow's label, e.g. `request\nupdate` */
  label: string;
  /** makes the VNF record when there is none yet (deployment) */
  create?: () => Records.VnfRecord;
  /**
   * The operation's parameters, worked out from the VNF record its lock is taken on (or the one
   * `create` made); throwing refuses the request, and no lock is taken.
   */
  plan: (v: Records.VnfRecord) => Params<A>;
  /**
   * Checked once the lock is taken, against what other VNFs hold by then; throwing refuses the
   * request and releases the lock (a check two requests could pass at once if made before).
   */
  confirm?: () => Promise<void>;
}

/**
 * Starts an operation: takes the VNF's lock, writes the operation record held by this
 * orchestrator, reports it, and hands it to the runner.
 */
@Injectable()
export class OperationStarter {
  constructor(
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(VnfLock) private readonly lock: VnfLock,
    @Inject(Leases) private readonly leases: Leases,
    @Inject(OperationRunner) private readonly runner: OperationRunner,
    @Inject(OpEvents) private readonly events: OpEvents,
  ) {}

  async start<A extends Records.Algorithm>(req: StartRequest<A>): Promise<Records.OpRecord> {
    const id = randomUUID();
    const { params, before } = await this.lock.take(req, id);
    if (req.confirm)
      await req.confirm().catch(async (err) => {
        await this.lock.release(req.vnf, id, before);
        throw err;
      });
    const record: Records.OpRecord = {
      id,
      vnf: req.vnf,
      algorithm: req.algorithm,
      params,
      requestedBy: req.requestedBy,
      state: Records.OpState.starting,
      steps: [],
      startedAt: now(),
      owner: this.leases.instance,
      leaseUntil: Date.now() + LEASE_MS,
    };
    const revision = await this.store.ops.create(id, record).catch(async (err) => {
      // a write whose answer was lost may have been stored: then the operation exists and holds
      // the lock (the scan resumes it if this orchestrator cannot); stored or not, the caller hears why
      const stored = await this.store.ops.get(id).catch(() => undefined);
      if (stored) return stored.revision;
      // no operation record, no operation: the VNF must not stay locked by it
      await this.lock.release(req.vnf, id, before);
      throw err;
    });
    this.events.opened(record, req.label);
    this.events.state(record);
    this.runner.launch(new OpHandle(this.store.ops, record, revision), 'run');
    return record;
  }
}
