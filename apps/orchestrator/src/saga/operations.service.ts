import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Bus, LOG, rpcError, toErrorBody, type Logger } from '@vnf-lcm/bus';
import { Events, Label, Participant, Records } from '@vnf-lcm/contracts';
import { LostOwnership, OpHandle } from '../records/op-handle.js';
import { RecordsStore } from '../records/records.store.js';
import { VnfBook, now } from '../records/vnf-book.js';
import { Saga } from './saga.js';

const { OpState } = Records;

export interface StartRequest {
  vnf: string;
  algorithm: Records.Algorithm;
  params: Record<string, unknown>;
  requestedBy: 'DevOps' | 'VNFM';
  /** the opening arrow's label, e.g. `request\nupdate` */
  label: string;
  /** makes the VNF record when there is none yet (deployment) */
  create?: () => Records.VnfRecord;
}

export type SagaBody = (s: Saga) => Promise<void>;

/**
 * Runs one saga per operation: takes the VNF's lock, keeps the operation record, reports every
 * change of state as an event, and picks up unfinished operations when the AO starts.
 */
@Injectable()
export class OperationsService implements OnApplicationBootstrap {
  private readonly bodies = new Map<Records.Algorithm, (op: Records.OpRecord) => SagaBody>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(VnfBook) readonly book: VnfBook,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  /** Each algorithm registers how to build its saga from an operation record (also on resume). */
  register(algorithm: Records.Algorithm, body: (op: Records.OpRecord) => SagaBody) {
    this.bodies.set(algorithm, body);
  }

  async start(req: StartRequest): Promise<Records.OpRecord> {
    const id = randomUUID();
    await this.lock(req, id);
    const record: Records.OpRecord = {
      id,
      vnf: req.vnf,
      algorithm: req.algorithm,
      params: req.params,
      requestedBy: req.requestedBy,
      state: OpState.starting,
      steps: [],
      startedAt: now(),
    };
    const revision = await this.store.ops.create(id, record);
    const from = req.requestedBy === 'VNFM' ? Participant.vnfm : Participant.devops;
    await this.bus.arrow(Participant.ao, { op: id, label: req.label }, 'request', from);
    this.event(record, 'operation');
    this.launch(new OpHandle(this.store.ops, record, revision));
    return record;
  }

  async onApplicationBootstrap() {
    for (const r of await this.store.ops.values()) {
      if (r.state !== OpState.starting && r.state !== OpState.processing) continue;
      const v = await this.store.ops.get(r.id);
      if (!v) continue;
      this.log.info({ op: r.id, vnf: r.vnf, steps: r.steps.length }, 'resuming operation');
      this.launch(new OpHandle(this.store.ops, v.value, v.revision));
    }
  }

  /** Waits for the sagas in flight (tests and a clean shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private launch(op: OpHandle) {
    const p = this.run(op).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private async run(op: OpHandle): Promise<void> {
    const log = this.log.child({ op: op.id, vnf: op.record.vnf });
    const saga = new Saga(op, this.bus, log);
    try {
      const body = this.bodies.get(op.record.algorithm);
      if (!body) throw rpcError('internal', `no saga for ${op.record.algorithm}`);
      if (op.record.state !== OpState.processing) {
        await op.write((r) => ({ ...r, state: OpState.processing }));
        this.event(op.record, 'operation');
      }
      await body(op.record)(saga);
      await this.finish(op, OpState.completed, saga);
      log.info({ algorithm: op.record.algorithm }, 'operation completed');
    } catch (err) {
      if (err instanceof LostOwnership) return log.warn('operation taken over by another orchestrator');
      const e = toErrorBody(err);
      const step = op.record.steps.length ? op.record.steps[op.record.steps.length - 1].key : undefined;
      const error = { err_code: e.err_code, description: e.description, step };
      log.error(error, 'operation failed');
      if (saga.canRollBack && op.record.params.rollback !== false) return this.rollBack(op, saga, error, log);
      await this.failTemp(op, error, log);
    }
  }

  /** Undo what the saga registered, newest first; the operation keeps the error that caused it. */
  private async rollBack(op: OpHandle, saga: Saga, error: NonNullable<Records.OpRecord['error']>, log: Logger) {
    try {
      this.event(await op.write((r) => ({ ...r, state: OpState.rollingBack, error })), 'operation');
      await saga.rollback();
      await this.finish(op, OpState.rolledBack, saga);
      log.info({ algorithm: op.record.algorithm }, 'operation rolled back');
    } catch (err) {
      if (err instanceof LostOwnership) return;
      const e = toErrorBody(err);
      log.error({ err_code: e.err_code, description: e.description }, 'rollback failed');
      await this.failTemp(op, { ...error, description: `${error.description}; rollback failed: ${e.description}` }, log);
    }
  }

  /** FAILED_TEMP keeps the VNF locked: an operator decides what happens next. */
  private async failTemp(op: OpHandle, error: NonNullable<Records.OpRecord['error']>, log: Logger) {
    await op
      .write((r) => ({ ...r, state: OpState.failedTemp, error }))
      .then((r) => this.event(r, 'operation'))
      .catch((werr) => log.error({ err: (werr as Error).message }, 'could not record the failure'));
  }

  /** The closing `AO->DevOps: notify` (and `AO->VNFM: notify` when the VNFM asked). */
  private async finish(op: OpHandle, state: Records.OpState, saga: Saga) {
    const vnfState = op.record.algorithm === Records.Algorithm.deployment ? 'INSTANTIATED' : undefined;
    const t = performance.now();
    await this.store.vnfs.mutate(op.record.vnf, (v) =>
      v ? { ...v, ...(vnfState ? { state: vnfState } : {}), activeOp: v.activeOp === op.id ? undefined : v.activeOp, updatedAt: now() } : undefined,
    );
    // the final write of the operation record cannot time itself; everything before it counts
    const recordMs = Math.round((saga.recordMs + performance.now() - t) * 100) / 100;
    const r = await op.write((r) => ({ ...r, state, endedAt: now(), stats: { recordMs } }));
    await this.bus.arrow(Participant.devops, { op: r.id, label: Label.notify }, Events.subject(r.vnf, r.id));
    if (r.requestedBy === 'VNFM') await this.bus.arrow(Participant.vnfm, { op: r.id, label: Label.notify }, Events.subject(r.vnf, r.id));
    this.event(r, 'operation');
  }

  /** One lifecycle operation per VNF at a time. */
  private async lock(req: StartRequest, id: string) {
    let holder: string | undefined;
    await this.store.vnfs.mutate(req.vnf, (v) => {
      holder = v?.activeOp;
      if (holder) return undefined;
      if (!v && !req.create) return undefined;
      const base = v ?? req.create!();
      return { ...base, activeOp: id, updatedAt: now() };
    });
    if (holder) {
      const h = await this.store.ops.get(holder);
      throw rpcError('conflict', `vnf ${req.vnf} has a running operation ${holder}`, {
        op: holder,
        algorithm: h?.value.algorithm,
        state: h?.value.state,
      });
    }
    const v = await this.store.vnfs.get(req.vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${req.vnf}`);
  }

  private event(r: Records.OpRecord, step: string) {
    const e: Events.Event = { op: r.id, vnf: r.vnf, algorithm: r.algorithm, step, state: r.state, ts: now() };
    if (r.error) e.error = { err_code: r.error.err_code, description: r.error.description };
    this.bus.nc.publish(Events.subject(r.vnf, r.id), JSON.stringify(e));
  }
}
