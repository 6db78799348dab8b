import { Inject, Injectable } from '@nestjs/common';
import { Bus, LOG, toErrorBody, type Logger } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import { LostOwnership, type OpHandle } from '../records/op-handle.js';
import { RecordsStore } from '../records/records.store.js';
import { VnfBook, now, vnfStateAfter } from '../records/vnf-book.js';
import { sagaFor } from './algorithms.js';
import { OpEvents } from './events.js';
import { renewing, type RunMode } from './lease-rules.js';
import { Cancelled, ReplayEnd, Saga } from './saga.js';

const { OpState } = Records;
export type OpError = NonNullable<Records.OpRecord['error']>;

/**
 * Drives the sagas of the operations this orchestrator holds, each from its last recorded step
 * to an end: COMPLETED, rolled back, or FAILED_TEMP for an operator to decide. It keeps each
 * one's lease while it runs.
 */
@Injectable()
export class OperationRunner {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(VnfBook) private readonly book: VnfBook,
    @Inject(OpEvents) private readonly events: OpEvents,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  /** whether this orchestrator drives the operation now */
  drives(id: string): boolean {
    return this.running.has(id);
  }

  /** Waits for the sagas in flight (tests and a clean shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  launch(op: OpHandle, mode: RunMode) {
    const stopRenewing = renewing(op);
    const p = (mode === 'run' ? this.run(op) : this.continueRollback(op)).finally(() => {
      stopRenewing();
      this.running.delete(op.id);
    });
    this.running.set(op.id, p);
  }

  private saga(op: OpHandle, log: Logger): Saga {
    return new Saga(op, this.bus, this.events, log, async () => {
      const c = await this.store.cancels.get(op.id);
      return c ? new Cancelled(c.value.then) : undefined;
    });
  }

  private async run(op: OpHandle): Promise<void> {
    const log = this.log.child({ op: op.id, vnf: op.record.vnf });
    const saga = this.saga(op, log);
    try {
      if (op.record.state !== OpState.processing) this.events.state(await op.write((r) => ({ ...r, state: OpState.processing })));
      // steps started ahead settle first: none may write the record once the operation has ended
      await sagaFor(op.record, this.book)(saga).finally(() => saga.settle());
      await this.end(op, OpState.completed, saga);
      log.info({ algorithm: op.record.algorithm }, 'operation completed');
    } catch (err) {
      if (err instanceof LostOwnership) return log.warn('operation taken over by another orchestrator');
      if (err instanceof Cancelled) {
        const error = { err_code: 'cancelled', description: 'cancelled by the operator', step: saga.currentStep ?? lastStep(op) };
        if (err.then === 'rollback') return this.rollBack(op, saga, error, log);
        return this.end(op, OpState.failed, saga, error);
      }
      const e = toErrorBody(err);
      const error: OpError = { err_code: e.err_code, description: e.description, step: saga.currentStep ?? lastStep(op) };
      log.error(error, 'operation failed');
      // upgrade and migrate roll back by default; the others wait for an operator in FAILED_TEMP
      if (saga.canRollBack && op.record.params.rollback === true) return this.rollBack(op, saga, error, log);
      await this.failTemp(op, error, log);
    }
  }

  /** Undo what the saga registered, newest first; the operation keeps the error that caused it. */
  private async rollBack(op: OpHandle, saga: Saga, error: OpError, log: Logger) {
    try {
      this.events.state(await op.write((r) => ({ ...r, state: OpState.rollingBack, error })));
      await saga.rollback();
      await this.end(op, OpState.rolledBack, saga, error);
      log.info({ algorithm: op.record.algorithm }, 'operation rolled back');
    } catch (err) {
      if (err instanceof LostOwnership) return;
      const e = toErrorBody(err);
      log.error({ err_code: e.err_code, description: e.description }, 'rollback failed');
      await this.failTemp(op, { ...error, description: `${error.description}; rollback failed: ${e.description}` }, log);
    }
  }

  /** A resumed or operator-asked rollback: replay the saga to learn its undos, then run them. */
  private async continueRollback(op: OpHandle) {
    const log = this.log.child({ op: op.id, vnf: op.record.vnf });
    const saga = this.saga(op, log);
    saga.replay = true;
    try {
      await sagaFor(op.record, this.book)(saga).finally(() => saga.settle());
    } catch (err) {
      if (!(err instanceof ReplayEnd)) return this.failTemp(op, { ...(op.record.error ?? { err_code: 'internal', description: 'replay failed' }) }, log);
    }
    saga.replay = false;
    await this.rollBack(op, saga, op.record.error ?? { err_code: 'rolled_back', description: 'rolled back by the operator' }, log);
  }

  /** FAILED_TEMP keeps the VNF locked: an operator decides what happens next. */
  private async failTemp(op: OpHandle, error: OpError, log: Logger) {
    await op
      .write((r) => ({ ...r, state: OpState.failedTemp, error, leaseUntil: undefined }))
      .then((r) => this.events.state(r))
      .catch((werr) => log.error({ err: (werr as Error).message }, 'could not record the failure'));
  }

  /** The operation reaches `state`, a final one: the VNF is free again, and its followers hear so. */
  async end(op: OpHandle, state: Records.OpState, saga: Saga | undefined, error?: OpError) {
    const t = performance.now();
    const { algorithm } = op.record;
    await this.store.vnfs.mutate(op.record.vnf, (v) => {
      if (!v) return undefined;
      const activeOp = v.activeOp === op.id ? undefined : v.activeOp;
      return { ...v, state: vnfStateAfter(algorithm, state, v.state), activeOp, updatedAt: now() };
    });
    // a deployment undone leaves nothing behind, not even an empty record
    if (algorithm === Records.Algorithm.deployment && state === OpState.rolledBack) await this.store.vnfs.delete(op.record.vnf);
    await this.store.cancels.delete(op.id).catch(() => undefined);
    // the final write of the operation record cannot time itself; everything before it counts
    const recordMs = Math.round(((saga?.recordMs ?? 0) + performance.now() - t) * 100) / 100;
    await this.events.closing(op.record);
    const r = await op.write((r) => ({ ...r, state, endedAt: now(), stats: { recordMs }, leaseUntil: undefined, ...(error ? { error } : {}) }));
    this.events.state(r);
  }
}

function lastStep(op: OpHandle): string | undefined {
  const s = op.record.steps;
  return s.length ? s[s.length - 1].key : undefined;
}
