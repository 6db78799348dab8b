import { Inject, Injectable } from '@nestjs/common';
import { rpcError } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import type { OpHandle } from '../records/op-handle.js';
import { RecordsStore } from '../records/records.store.js';
import { now } from '../records/vnf-book.js';
import { cancelOutcome, mustBeIn } from './conflicts.js';
import { OpEvents } from './events.js';
import { Leases } from './leases.js';
import { OperationRunner } from './runner.js';

const { OpState } = Records;

/** An operator's say over an operation that waits in FAILED_TEMP, or one that runs (cancel). */
@Injectable()
export class OperatorActions {
  constructor(
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(Leases) private readonly leases: Leases,
    @Inject(OperationRunner) private readonly runner: OperationRunner,
    @Inject(OpEvents) private readonly events: OpEvents,
  ) {}

  async retry(id: string): Promise<Records.OpRecord> {
    const h = await this.claim(id, [OpState.failedTemp], 'retry');
    // a cancel that arrived as the operation stopped must not stop the run asked for now
    await this.store.cancels.delete(id).catch(() => undefined);
    const r = await h.write((r) => ({ ...r, state: OpState.processing, error: undefined }));
    this.events.state(r);
    this.runner.launch(h, 'run');
    return r;
  }

  async rollback(id: string): Promise<Records.OpRecord> {
    const h = await this.claim(id, [OpState.failedTemp], 'rollback');
    const r = await h.write((r) => ({ ...r, state: OpState.rollingBack }));
    this.events.state(r);
    this.runner.launch(h, 'rollback');
    return r;
  }

  async fail(id: string): Promise<Records.OpRecord> {
    const h = await this.claim(id, [OpState.failedTemp], 'fail');
    await this.runner.end(h, OpState.failed, undefined, h.record.error);
    return h.record;
  }

  async cancel(id: string, then: Records.CancelRequest['then']): Promise<Records.OpRecord> {
    const r = await this.get(id);
    const outcome = cancelOutcome(r.state);
    if (outcome === 'now') return then === 'rollback' ? this.rollback(id) : this.fail(id);
    if (outcome === 'nothing') throw rpcError('conflict', `operation ${id} is ${r.state}: nothing to cancel`, { state: r.state });
    // the saga reads it at its next step: a record of its own never races the saga's writes
    await this.store.cancels.put(id, { then, at: now() });
    return r;
  }

  private async get(id: string): Promise<Records.OpRecord> {
    const r = (await this.store.ops.get(id))?.value;
    if (!r) throw rpcError('not_found', `unknown operation ${id}`);
    return r;
  }

  /** Takes the operation over from whoever stopped with it, if it is still in one of `states`. */
  private async claim(id: string, states: readonly Records.OpState[], action: string): Promise<OpHandle> {
    mustBeIn(await this.get(id), states, action);
    const h = await this.leases.claim(id, (x) => states.includes(x.state));
    if (!h) throw rpcError('conflict', `operation ${id} changed meanwhile; try again`);
    return h;
  }
}
