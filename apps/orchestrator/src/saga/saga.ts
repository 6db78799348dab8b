import { AsyncLocalStorage } from 'node:async_hooks';
import { Bus, BusError, type Logger } from '@vnf-lcm/bus';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { Label, Participant, type Records, StepRef } from '@vnf-lcm/contracts';
import { stepDone } from '../metrics.js';
import type { OpHandle } from '../records/op-handle.js';
import type { OpEvents } from './events.js';

/** The operator asked to stop: the saga ends at this step boundary. */
export class Cancelled extends Error {
  constructor(readonly then: 'rollback' | 'fail') {
    super('cancelled by the operator');
    this.name = 'Cancelled';
  }
}

/** Replaying a saga only to register its undos: it stops at the first step not yet done. */
export class ReplayEnd extends Error {}

/**
 * A request that got no answer (the service is restarting, NATS reconnects) is sent again, with
 * the same step key, so the receiver does it once. An answer that is an error is not retried.
 */
const transient = handleWhen((e) => e instanceof BusError && (e.err_code === 'timeout' || e.err_code === 'unavailable'));
export const stepRetry: RetryPolicy = retry(transient, {
  maxAttempts: Number(process.env.AO_STEP_RETRIES ?? 6),
  backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5000 }),
});

/**
 * How long a step waits for its answer before it is sent again: long enough for the slowest
 * normal answer (a host's agent has 15 s to say hello; an agent 10 s to drain its application).
 * A receiver that died with the request in hand is noticed sooner, by the in-flight probe (ADR 10).
 */
export const STEP_TIMEOUT_MS = { vim: 20_000, vnfm: 15_000, removeHost: 35_000, destroyApp: 30_000 } as const;

/** set while steps run ahead of their turn (Saga.early): they are not the step the saga is at */
const early = new AsyncLocalStorage<true>();

export interface StepMeta {
  cluster?: string;
  node?: string;
}

/**
 * What a saga file sees: one call per arrow of its diagram. Each step runs at most once per
 * operation: its result is written to the operation record, and a resumed operation gets the
 * recorded result back instead of sending the request again.
 */
export class Saga {
  private readonly undos: { name: string; run: () => Promise<unknown> }[] = [];

  /** time spent reading and writing records (the operation's and the VNF's), for bench/deploy */
  recordMs = 0;

  private lastKey = 'start';
  private undoing = false;
  /** steps started ahead of their turn, until they settle */
  private readonly ahead = new Set<Promise<unknown>>();
  /** the step each failure of a step run ahead came from, for the operation's error */
  private readonly failedAt = new WeakMap<object, string>();
  /** replay only: no step is sent, the saga runs until the first step not yet done */
  replay = false;

  constructor(
    readonly op: OpHandle,
    private readonly bus: Bus,
    private readonly events: OpEvents,
    readonly log: Logger,
    private readonly cancelled: () => Promise<Cancelled | undefined> = async () => undefined,
  ) {}

  get record(): Records.OpRecord {
    return this.op.record;
  }

  /** the step the saga is at: when it fails, the one that failed (not the last that succeeded) */
  get currentStep(): string | undefined {
    return this.lastKey === 'start' ? undefined : this.lastKey;
  }

  /** AO->+VIM: <label> ... VIM->-AO: notify */
  vim<T>(key: string, label: string, subject: string, payload: object, meta: StepMeta, timeoutMs: number = STEP_TIMEOUT_MS.vim): Promise<T> {
    return this.step(key, label, meta, () => this.send<T>(Participant.vim, key, label, subject, payload, meta, timeoutMs));
  }

  /**
   * AO->+VNFM: <label> ... VNFM->-AO: notify. `keep` is what of the reply the record keeps (and a
   * resumed saga gets back), when the saga needs less than all of it.
   */
  vnfm<T>(
    key: string,
    label: string,
    subject: string,
    payload: object,
    meta: StepMeta,
    timeoutMs: number = STEP_TIMEOUT_MS.vnfm,
    keep?: (reply: T) => unknown,
  ): Promise<T> {
    return this.step(key, label, meta, () => this.send<T>(Participant.vnfm, key, label, subject, payload, meta, timeoutMs), keep);
  }

  private send<T>(to: Participant, key: string, label: string, subject: string, payload: object, meta: StepMeta, timeoutMs: number): Promise<T> {
    return stepRetry.execute(({ attempt }) => {
      // an operator following the logs sees why a step shows twice in its trace
      if (attempt > 0) this.log.warn({ step: key, attempt, ...meta }, 'sending the step again');
      return this.bus.call<T>(to, subject, payload, { ...this.callOpts(key, label, meta), timeoutMs, again: attempt > 0 });
    });
  }

  /** A step with no arrow of its own (e.g. choosing a node id), still recorded once. */
  local<T>(key: string, label: string, meta: StepMeta, fn: () => Promise<T>): Promise<T> {
    return this.step(key, label, meta, () =>
      this.timed(fn).catch((err: Error) => {
        // the operation's error says only `internal` for what is not a service's answer: the log says what
        this.log.warn({ step: key, ...meta, err: err.message }, 'local step failed');
        throw err;
      }),
    );
  }

  /**
   * Registers how to undo what comes next (Temporal's saga pattern). A resumed operation replays
   * its saga from the start, so the registrations are made again as the recorded steps return.
   */
  onUndo(name: string, run: () => Promise<unknown>): void {
    this.undos.push({ name, run });
  }

  /**
   * Starts `fn` (made of steps) now, beside the saga's own line, for steps whose turn comes later:
   * the slow part of adding a node, its host, while the node before it gets its application. The
   * result is taken with take() where the diagram has the steps; a failure waits for it there.
   */
  early<T>(fn: () => Promise<T>): Promise<T> {
    const p = early.run(true, fn);
    this.ahead.add(p);
    p.catch(() => undefined).finally(() => this.ahead.delete(p));
    return p;
  }

  /**
   * The result of steps started by early(): the saga is now at step `key`, and the trace reads
   * that step's arrows here, where the diagram has them (Trace.inReadingOrder).
   */
  async take<T>(started: Promise<T>, key: string): Promise<T> {
    try {
      const result = await started;
      this.lastKey = key;
      this.bus.place(this.record.id, StepRef.of(this.record.id, key));
      return result;
    } catch (err) {
      this.lastKey = (err instanceof Object && this.failedAt.get(err)) || key;
      throw err;
    }
  }

  /**
   * Starts step `key` now and goes on without waiting for it: a node's host, removed while the
   * saga goes on with the next node (ADR 33). Its arrows are read here, where it starts, as the
   * diagram has them; join() takes its outcome, and the operation does not end before it settles.
   */
  behind<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (!this.replay) this.bus.place(this.record.id, StepRef.of(this.record.id, key));
    return this.early(fn);
  }

  /** The outcome of a step run behind (or ahead): when it failed, the operation's error names it. */
  async join<T>(started: Promise<T>): Promise<T> {
    try {
      return await started;
    } catch (err) {
      const at = err instanceof Object ? this.failedAt.get(err) : undefined;
      if (at) this.lastKey = at;
      throw err;
    }
  }

  /** Waits until no step started ahead runs any more (before the operation ends or rolls back). */
  async settle(): Promise<void> {
    while (this.ahead.size > 0) await Promise.allSettled([...this.ahead]);
  }

  /** whether the step `key` is recorded (done, in this run or before a resume) */
  done(key: string): boolean {
    return this.record.steps.some((s) => s.key === key);
  }

  /** what the step `key` returned, if it is recorded */
  recorded<T>(key: string): T | undefined {
    return this.record.steps.find((s) => s.key === key)?.result as T | undefined;
  }

  get canRollBack(): boolean {
    return this.undos.length > 0;
  }

  /** Runs the registered undos in reverse order; each is made of steps, so each runs once. */
  async rollback(): Promise<void> {
    await this.settle();
    this.undoing = true;
    for (const u of [...this.undos].reverse()) {
      this.log.info({ undo: u.name }, 'undoing');
      await u.run();
    }
  }

  /**
   * AO->DevOps: notify, an event on vnf.evt.<vnf>.<op>, after the step the saga is at; `after`
   * names the step where that is not the saga's own line (a step run behind).
   */
  async notify(step: string, meta: StepMeta = {}, details?: Record<string, unknown>, after = this.lastKey): Promise<void> {
    // a step of its own, so that a resumed operation does not notify twice
    const key = `${after}/notify`;
    await this.step(key, Label.notify, meta, () => this.publish(key, step, meta, details));
  }

  /** published once: see OpEvents.step */
  private async publish(key: string, step: string, meta: StepMeta, details?: Record<string, unknown>): Promise<undefined> {
    this.events.step(this.record, StepRef.of(this.record.id, key), step, meta, details);
    this.log.info({ step, ...meta }, 'notify');
    return undefined;
  }

  private async step<T>(key: string, label: string, meta: StepMeta, fn: () => Promise<T>, keep?: (result: T) => unknown): Promise<T> {
    if (early.getStore()) return this.stepAhead(key, label, meta, fn, keep);
    this.lastKey = key;
    return this.run(key, label, meta, fn, keep);
  }

  /** a step run ahead of its turn: when it fails, the operation's error names it */
  private async stepAhead<T>(key: string, label: string, meta: StepMeta, fn: () => Promise<T>, keep?: (result: T) => unknown): Promise<T> {
    try {
      return await this.run(key, label, meta, fn, keep);
    } catch (err) {
      if (err instanceof Object && !this.failedAt.has(err)) this.failedAt.set(err, key);
      throw err;
    }
  }

  private async run<T>(key: string, label: string, meta: StepMeta, fn: () => Promise<T>, keep?: (result: T) => unknown): Promise<T> {
    const done = this.record.steps.find((s) => s.key === key);
    if (done) return done.result as T;
    if (this.replay) throw new ReplayEnd();
    // a cancel stops the saga at a step boundary, but never the undo it asked for. A check that
    // cannot read the cancel requests (NATS away) is no cancel: the next step boundary looks again
    const cancel = this.undoing
      ? undefined
      : await this.cancelled().catch((err: Error) => {
          this.log.warn({ step: key, err: err.message }, 'cancel requests not readable: going on');
          return undefined;
        });
    if (cancel) throw cancel;
    const t = performance.now();
    const result = await fn();
    const kept = keep ? keep(result) : result;
    await this.timed(() => this.op.write((r) => ({ ...r, steps: [...r.steps, { key, label, ...meta, at: new Date().toISOString(), result: kept }] })));
    stepDone(this.record.algorithm, label, performance.now() - t);
    return result;
  }

  async timed<T>(fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.recordMs += performance.now() - t;
    }
  }

  private callOpts(key: string, label: string, meta: StepMeta) {
    return { op: this.record.id, label, step: StepRef.of(this.record.id, key), ...meta };
  }
}
