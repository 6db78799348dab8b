import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Bus, isCasConflict, LOG, rpcError, toErrorBody, type Logger } from '@vnf-lcm/bus';
import { Events, Label, Participant, Records } from '@vnf-lcm/contracts';
import { LostOwnership, OpHandle } from '../records/op-handle.js';
import { RecordsStore } from '../records/records.store.js';
import { VnfBook, now } from '../records/vnf-book.js';
import { operationState } from '../metrics.js';
import { Cancelled, ReplayEnd, Saga } from './saga.js';

const { OpState } = Records;
type OpError = NonNullable<Records.OpRecord['error']>;

/** How long an orchestrator's claim on an operation holds without renewal (env AO_LEASE_MS). */
const LEASE_MS = Number(process.env.AO_LEASE_MS ?? 3000);
const ACTIVE: Records.OpState[] = [OpState.starting, OpState.processing, OpState.rollingBack];

export interface StartRequest {
  vnf: string;
  algorithm: Records.Algorithm;
  /** the operation's parameters, unless `plan` works them out */
  params?: Record<string, unknown>;
  requestedBy: 'DevOps' | 'VNFM';
  /** the opening arrow's label, e.g. `request\nupdate` */
  label: string;
  /** makes the VNF record when there is none yet (deployment) */
  create?: () => Records.VnfRecord;
  /**
   * The operation's parameters, worked out from the VNF record its lock is taken on (they replace
   * `params`); throwing refuses the request, and no lock is taken.
   */
  plan?: (v: Records.VnfRecord) => Record<string, unknown>;
  /**
   * Checked once the lock is taken, against what other VNFs hold by then; throwing refuses the
   * request and releases the lock (a check two requests could pass at once if made before).
   */
  confirm?: () => Promise<void>;
}

export type SagaBody = (s: Saga) => Promise<void>;

/**
 * Runs one saga per operation: takes the VNF's lock, keeps the operation record, reports every
 * change of state as an event. An orchestrator holds a lease on each operation it drives and
 * renews it; any orchestrator (a restarted one, or a second instance) takes over an operation
 * whose lease ran out and continues it from its last recorded step.
 */
@Injectable()
export class OperationsService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly instance = randomUUID();
  private readonly bodies = new Map<Records.Algorithm, (op: Records.OpRecord) => SagaBody>();
  private readonly local = new Map<string, Promise<void>>();
  private scanner?: NodeJS.Timeout;

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
    const { params, before } = await this.lock(req, id);
    if (req.confirm)
      await req.confirm().catch(async (err) => {
        await this.release(req.vnf, id, before);
        throw err;
      });
    const record: Records.OpRecord = {
      id,
      vnf: req.vnf,
      algorithm: req.algorithm,
      params,
      requestedBy: req.requestedBy,
      state: OpState.starting,
      steps: [],
      startedAt: now(),
      owner: this.instance,
      leaseUntil: Date.now() + LEASE_MS,
    };
    const revision = await this.store.ops.create(id, record).catch(async (err) => {
      // a write whose answer was lost may have been stored: then the operation exists and holds
      // the lock (the scan resumes it if this orchestrator cannot); stored or not, the caller hears why
      const stored = await this.store.ops.get(id).catch(() => undefined);
      if (stored) return stored.revision;
      // no operation record, no operation: the VNF must not stay locked by it
      await this.release(req.vnf, id, before);
      throw err;
    });
    const from = req.requestedBy === 'VNFM' ? Participant.vnfm : Participant.devops;
    this.bus.arrow(Participant.ao, { op: id, label: req.label }, 'request', from);
    this.event(record, 'operation');
    this.launch(new OpHandle(this.store.ops, record, revision), 'run');
    return record;
  }

  onApplicationBootstrap() {
    void this.scan();
    this.scanner = setInterval(() => void this.scan(), Math.min(1000, LEASE_MS / 2));
  }

  onModuleDestroy() {
    clearInterval(this.scanner);
  }

  /** Takes over every active operation whose lease ran out (its orchestrator is gone). */
  private async scan() {
    try {
      for (const r of await this.store.ops.values()) {
        if (!ACTIVE.includes(r.state) || this.local.has(r.id) || (r.leaseUntil ?? 0) > Date.now()) continue;
        const h = await this.claim(r.id, (x) => ACTIVE.includes(x.state) && (x.leaseUntil ?? 0) <= Date.now());
        if (!h) continue;
        this.log.info({ op: r.id, vnf: r.vnf, state: r.state, steps: h.record.steps.length, from: r.owner }, 'resuming operation');
        this.launch(h, h.record.state === OpState.rollingBack ? 'rollback' : 'run');
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'scan for operations to resume failed');
    }
  }

  /** Compare-and-set the owner: at most one orchestrator wins an operation. */
  private async claim(id: string, when: (r: Records.OpRecord) => boolean): Promise<OpHandle | undefined> {
    const cur = await this.store.ops.get(id);
    if (!cur || !when(cur.value)) return undefined;
    const next = { ...cur.value, owner: this.instance, leaseUntil: Date.now() + LEASE_MS };
    try {
      const revision = await this.store.ops.update(id, next, cur.revision);
      return new OpHandle(this.store.ops, next, revision);
    } catch (err) {
      // another orchestrator won; anything else (NATS away) is not a lost race and says so
      if (isCasConflict(err)) return undefined;
      throw err;
    }
  }

  /** Waits for the sagas in flight (tests and a clean shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.local.values()]);
  }

  private launch(op: OpHandle, mode: 'run' | 'rollback') {
    const renew = setInterval(() => {
      op.write((r) => ({ ...r, leaseUntil: Date.now() + LEASE_MS })).catch(() => clearInterval(renew));
    }, LEASE_MS / 3);
    const p = (mode === 'run' ? this.run(op) : this.continueRollback(op)).finally(() => {
      clearInterval(renew);
      this.local.delete(op.id);
    });
    this.local.set(op.id, p);
  }

  private saga(op: OpHandle, log: Logger): Saga {
    return new Saga(op, this.bus, log, async () => {
      const c = await this.store.cancels.get(op.id);
      return c ? new Cancelled(c.value.then) : undefined;
    });
  }

  private body(op: OpHandle): SagaBody {
    const body = this.bodies.get(op.record.algorithm);
    if (!body) throw rpcError('internal', `no saga for ${op.record.algorithm}`);
    return body(op.record);
  }

  private async run(op: OpHandle): Promise<void> {
    const log = this.log.child({ op: op.id, vnf: op.record.vnf });
    const saga = this.saga(op, log);
    try {
      if (op.record.state !== OpState.processing) this.event(await op.write((r) => ({ ...r, state: OpState.processing })), 'operation');
      await this.body(op)(saga);
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
      this.event(await op.write((r) => ({ ...r, state: OpState.rollingBack, error })), 'operation');
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
      await this.body(op)(saga);
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
      .then((r) => this.event(r, 'operation'))
      .catch((werr) => log.error({ err: (werr as Error).message }, 'could not record the failure'));
  }

  /** The closing `AO->DevOps: notify` (and `AO->VNFM: notify` when the VNFM asked); the VNF is free again. */
  private async end(op: OpHandle, state: Records.OpState, saga: Saga | undefined, error?: OpError) {
    const t = performance.now();
    const deployment = op.record.algorithm === Records.Algorithm.deployment;
    const completed = state === OpState.completed;
    await this.store.vnfs.mutate(op.record.vnf, (v) => {
      if (!v) return undefined;
      // a terminated VNF keeps its record, NOT_INSTANTIATED: its name and node numbers (ADR 20)
      const vnfState = completed && deployment ? 'INSTANTIATED' : completed && op.record.algorithm === Records.Algorithm.terminate ? 'NOT_INSTANTIATED' : v.state;
      return { ...v, state: vnfState, activeOp: v.activeOp === op.id ? undefined : v.activeOp, updatedAt: now() };
    });
    // a deployment undone leaves nothing behind, not even an empty record
    if (deployment && state === OpState.rolledBack) await this.store.vnfs.delete(op.record.vnf);
    await this.store.cancels.delete(op.id).catch(() => undefined);
    // the final write of the operation record cannot time itself; everything before it counts
    const recordMs = Math.round(((saga?.recordMs ?? 0) + performance.now() - t) * 100) / 100;
    // the closing arrows are stored before the operation is final, so that its trace is whole
    // once anyone sees it final; an orchestrator resuming after a crash here draws them once
    const { id, vnf, requestedBy } = op.record;
    this.bus.arrow(Participant.devops, { op: id, label: Label.notify, once: `${id}/end/devops` }, Events.subject(vnf, id));
    if (requestedBy === 'VNFM') this.bus.arrow(Participant.vnfm, { op: id, label: Label.notify, once: `${id}/end/vnfm` }, Events.subject(vnf, id));
    await this.bus.settled();
    const r = await op.write((r) => ({ ...r, state, endedAt: now(), stats: { recordMs }, leaseUntil: undefined, ...(error ? { error } : {}) }));
    this.event(r, 'operation');
  }

  // --- operator actions -------------------------------------------------------------------

  async retry(id: string): Promise<Records.OpRecord> {
    const h = await this.mustClaim(id, [OpState.failedTemp], 'retry');
    // a cancel that arrived as the operation stopped must not stop the run asked for now
    await this.store.cancels.delete(id).catch(() => undefined);
    const r = await h.write((r) => ({ ...r, state: OpState.processing, error: undefined }));
    this.event(r, 'operation');
    this.launch(h, 'run');
    return r;
  }

  async rollback(id: string): Promise<Records.OpRecord> {
    const h = await this.mustClaim(id, [OpState.failedTemp], 'rollback');
    const r = await h.write((r) => ({ ...r, state: OpState.rollingBack }));
    this.event(r, 'operation');
    this.launch(h, 'rollback');
    return r;
  }

  async fail(id: string): Promise<Records.OpRecord> {
    const h = await this.mustClaim(id, [OpState.failedTemp], 'fail');
    await this.end(h, OpState.failed, undefined, h.record.error);
    return h.record;
  }

  async cancel(id: string, then: 'rollback' | 'fail'): Promise<Records.OpRecord> {
    const r = (await this.store.ops.get(id))?.value;
    if (!r) throw rpcError('not_found', `unknown operation ${id}`);
    if (r.state === OpState.failedTemp) return then === 'rollback' ? this.rollback(id) : this.fail(id);
    if (!ACTIVE.includes(r.state) || r.state === OpState.rollingBack)
      throw rpcError('conflict', `operation ${id} is ${r.state}: nothing to cancel`, { state: r.state });
    await this.store.cancels.put(id, { then, at: now() });
    return r;
  }

  private async mustClaim(id: string, states: Records.OpState[], action: string): Promise<OpHandle> {
    const r = (await this.store.ops.get(id))?.value;
    if (!r) throw rpcError('not_found', `unknown operation ${id}`);
    if (!states.includes(r.state)) throw rpcError('conflict', `operation ${id} is ${r.state}; ${action} needs ${states.join(' or ')}`, { state: r.state });
    const h = await this.claim(id, (x) => states.includes(x.state));
    if (!h) throw rpcError('conflict', `operation ${id} changed meanwhile; try again`);
    return h;
  }

  /** One lifecycle operation per VNF at a time. Returns the operation's parameters. */
  private async lock(req: StartRequest, id: string): Promise<{ params: Record<string, unknown>; before?: Records.VnfRecord }> {
    let holder: string | undefined;
    let params = req.params ?? {};
    let before: Records.VnfRecord | undefined;
    await this.store.vnfs.mutate(req.vnf, (v) => {
      holder = v?.activeOp;
      before = v;
      if (holder) return undefined;
      if (!v && !req.create) return undefined;
      // checked on the very record the lock is compared against: no operation ends in between
      if (v && req.plan) params = req.plan(v);
      // a deployment again over one that never completed deploys the descriptor it carries now
      const base = !v ? req.create!() : req.create && v.state === 'NOT_INSTANTIATED' ? { ...v, descriptor: req.create().descriptor } : v;
      return { ...base, activeOp: id, updatedAt: now() };
    });
    if (holder) {
      const h = (await this.store.ops.get(holder))?.value;
      const details = { op: holder, algorithm: h?.algorithm, state: h?.state };
      if (h?.state === OpState.failedTemp)
        throw rpcError('conflict', `vnf ${req.vnf} waits for an operator: operation ${holder} is FAILED_TEMP; retry, rollback or fail it first`, details);
      throw rpcError('conflict', `vnf ${req.vnf} has a running operation ${holder}`, details);
    }
    const v = await this.store.vnfs.get(req.vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${req.vnf}`);
    return { params, before };
  }

  /** Undoes lock() for a request that starts no operation: the record is as it was before. */
  private async release(vnf: string, id: string, before: Records.VnfRecord | undefined): Promise<void> {
    try {
      const cur = await this.store.vnfs.get(vnf);
      if (cur?.value.activeOp !== id) return;
      if (!before) await this.store.vnfs.delete(vnf);
      else await this.store.vnfs.mutate(vnf, (v) => (v?.activeOp === id ? { ...before, updatedAt: now() } : undefined));
    } catch (err) {
      this.log.error({ op: id, vnf, err: (err as Error).message }, 'could not release the vnf after a refused start');
    }
  }

  private event(r: Records.OpRecord, step: string) {
    const e: Events.Event = { op: r.id, vnf: r.vnf, algorithm: r.algorithm, step, state: r.state, ts: now() };
    if (r.error) e.error = { err_code: r.error.err_code, description: r.error.description };
    this.bus.nc.publish(Events.subject(r.vnf, r.id), JSON.stringify(e));
    operationState(r);
  }
}

function lastStep(op: OpHandle): string | undefined {
  const s = op.record.steps;
  return s.length ? s[s.length - 1].key : undefined;
}
