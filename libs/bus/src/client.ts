import { headers as natsHeaders, nuid, type Msg, type NatsConnection, errors as natsErrors } from '@nats-io/transport-node';
import { errorBody, Header, InFlight, inFlightSubject, isErrorReply, Participant, type StepRef, Trace } from '@vnf-lcm/contracts';
import { ArrowWriter, orderedConnection, publishWithId } from './arrows.js';
import { BusError } from './errors.js';

export interface CallOptions {
  /** operation id, sent as a header and recorded with the arrow */
  op: string;
  /** the diagram's label for this arrow; no label means the message is not part of the trace */
  label?: string;
  /** the step's reference (common/step.ts): sent as a header, carried by the arrows */
  step?: StepRef;
  /** the step was sent before (a retry): sent as Header.again */
  again?: boolean;
  timeoutMs?: number;
  /**
   * The target may be dead (healing): no responder or no reply counts as done. The return arrow
   * is still drawn and the call resolves with `undefined`.
   */
  tolerateGone?: boolean;
  /**
   * callEach with tolerateGone: told the subjects whose target was gone, also when another
   * target's error fails the whole (what was gone missed the message either way)
   */
  gone?: (subjects: string[]) => void;
  node?: string;
  cluster?: string;
  /**
   * With a step key, how often to ask whether the receiver still works on the request (0: never).
   * Two answers of "no responders" in a row mean it died with the request in hand: the call fails
   * as `unavailable` at once instead of waiting out its timeout, and the caller may send it again.
   */
  probeMs?: number;
  /**
   * Records the arrow at most once under this id (JetStream de-duplication): for a one-way
   * message that a resumed sender may send again, such as a notify whose step was not yet saved.
   */
  once?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PROBE_MS = Number(process.env.VNF_PROBE_MS ?? 1000);

/**
 * Requests between participants. Every labelled request is recorded as two arrows of the
 * operation's sequence diagram: `me->+to: label` before it leaves, `to->-me: notify` (or the
 * empty return of a VNF) once the reply is in.
 *
 * Arrows are pipelined, not awaited one by one (ADR 0009, 0011): an arrow is written to the
 * connection before the request it precedes, NATS keeps one connection's messages in order, and
 * the server stores a stream's messages in the order it receives them, so the stream's order is
 * still the causal order across services. `settled()` waits until every arrow is stored.
 */
export class Bus {
  private readonly arrows: ArrowWriter;
  /** the connection to use for everything else: its messages leave after the arrows before them */
  readonly nc: NatsConnection;

  constructor(
    raw: NatsConnection,
    readonly me: Participant,
    onLost: (entry: Trace.Entry, err: Error) => void = () => undefined,
  ) {
    this.arrows = new ArrowWriter(raw, onLost);
    this.nc = orderedConnection(raw, () => this.arrows.drain());
  }

  /** The reply, or `unavailable` as soon as nobody works on the request any more. */
  private async watched(request: Promise<Msg>, subject: string, step: string, everyMs: number): Promise<Msg> {
    let done = false;
    request.catch(() => undefined); // it may lose the race below and fail later, unheard
    const gone = (async (): Promise<never> => {
      // NATS writes the request out in a microtask: let it go before setting up the watch
      await null;
      const probe = inFlightSubject(subject, step);
      for (let missing = 0; ; ) {
        await new Promise((r) => setTimeout(r, everyMs).unref());
        if (done) return new Promise<never>(() => undefined);
        try {
          await this.nc.request(probe, '', { timeout: Math.min(everyMs, 2_000) });
          missing = 0;
        } catch (err) {
          // a probe without an answer is a busy receiver; only "nobody is subscribed" counts
          missing = isNoResponders(err) ? missing + 1 : 0;
          if (missing >= 2) throw new BusError(errorBody('unavailable', `the service working on ${subject} is gone`));
        }
      }
    })();
    gone.catch(() => undefined);
    try {
      return await Promise.race([request, gone]);
    } finally {
      done = true;
    }
  }

  /**
   * Resolves once JetStream has stored every arrow recorded so far; with a deadline, what is not
   * stored by then is reported lost (a process about to exit cannot wait for NATS forever).
   */
  settled(deadlineMs?: number): Promise<void> {
    return this.arrows.settled(deadlineMs);
  }

  async call<T>(to: Participant, subject: string, payload: unknown, o: CallOptions): Promise<T> {
    if (o.label !== undefined) this.record(o, this.me, to, '+', o.label, subject);
    const h = natsHeaders();
    h.set(Header.op, o.op);
    if (o.step) h.set(Header.step, o.step);
    if (o.again) h.set(Header.again, '1');
    let data: unknown;
    try {
      const request = this.nc.request(subject, JSON.stringify(payload ?? {}), {
        timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        headers: h,
      });
      const every = o.probeMs ?? DEFAULT_PROBE_MS;
      const probeMs = every > 0 ? Math.max(every, InFlight.minProbeMs) : 0;
      const msg = o.step && probeMs > 0 ? await this.watched(request, subject, o.step, probeMs) : await request;
      data = msg.json();
    } catch (err) {
      const e = transportError(err, subject);
      if (!o.tolerateGone) throw e;
      if (o.label !== undefined) this.record(o, to, this.me, '-', returnLabel(to), subject);
      return undefined as T;
    }
    if (o.label !== undefined) this.record(o, to, this.me, '-', returnLabel(to), subject);
    if (isErrorReply(data)) throw new BusError(data.error);
    return data as T;
  }

  /**
   * One request addressed to a cluster: sent to every node at once, drawn as one arrow whose
   * return comes when all nodes have answered. An error from any node fails the whole.
   */
  async callEach<T>(to: Participant, subjects: string[], payload: unknown, o: CallOptions): Promise<T[]> {
    if (o.label !== undefined) this.record(o, this.me, to, '+', o.label, subjects.join(','));
    const quiet = { ...o, label: undefined, gone: undefined };
    const settled = await Promise.allSettled(subjects.map((s) => this.call<T>(to, s, payload, quiet)));
    if (o.label !== undefined) this.record(o, to, this.me, '-', returnLabel(to), subjects.join(','));
    const gone = subjects.filter((_, i) => {
      const r = settled[i];
      return r.status === 'fulfilled' && r.value === undefined;
    });
    if (o.gone && gone.length > 0) o.gone(gone);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
  }

  /**
   * An arrow whose target is not yet a running process (the VIM creating a host, the VNFM
   * creating a cluster): the sender does it and records it as if it had crossed the bus.
   */
  async action<T>(to: Participant, o: CallOptions & { label: string }, fn: () => Promise<T>): Promise<T> {
    this.record(o, this.me, to, '+', o.label, 'action');
    const result = await fn();
    this.record(o, to, this.me, '-', returnLabel(to), 'action');
    return result;
  }

  /**
   * A one-way arrow: `AO->DevOps: notify` is an event, and the opening `DevOps->AO: request`
   * is recorded by the AO that received it (`from` is then the requester).
   */
  arrow(to: Participant, o: CallOptions & { label: string }, via: string, from: Participant = this.me): void {
    this.record(o, from, to, '', o.label, via);
  }

  /**
   * A plain publish (no ack awaited) that a stream capturing the subject stores once per id,
   * however often a resumed sender repeats it within the stream's duplicate window.
   */
  publishOnce(subject: string, payload: unknown, id: string): void {
    publishWithId(this.nc, subject, JSON.stringify(payload), id);
  }

  /**
   * Not an arrow: the saga takes here the result of `step`, which it started ahead of its turn,
   * so that the trace reads that step's arrows here (Trace.inReadingOrder). Recorded once per step.
   */
  place(op: string, step: StepRef): void {
    const at = performance.timeOrigin + performance.now();
    const entry: Trace.Entry = {
      op,
      from: this.me,
      to: this.me,
      act: '',
      label: '',
      ts: new Date(at).toISOString(),
      at: Math.round(at * 1000) / 1000,
      via: 'place',
      step,
      place: step,
    };
    this.arrows.write(entry, `${step}/place`);
  }

  /**
   * Writes the arrows recorded so far to the connection, ahead of a message that follows them
   * but is not sent through this bus (a reply).
   */
  drainArrows(): void {
    this.arrows.drain();
  }

  private record(o: CallOptions, from: Participant, to: Participant, act: Trace.Entry['act'], label: string, via: string): void {
    const at = performance.timeOrigin + performance.now();
    const entry: Trace.Entry = { op: o.op, from, to, act, label, ts: new Date(at).toISOString(), at: Math.round(at * 1000) / 1000, via };
    if (o.step) entry.step = o.step;
    if (o.node) entry.node = o.node;
    if (o.cluster) entry.cluster = o.cluster;
    // an id per arrow, so that an arrow written again after a reconnect is stored once
    const msgID = act === '' && o.once ? `${o.once}/arrow` : nuid.next();
    this.arrows.write(entry, msgID);
  }
}

/** A VNF's return carries no label in the diagrams; everyone else's is `notify`. */
function returnLabel(from: Participant): string {
  return from === Participant.vnf ? '' : 'notify';
}

function isNoResponders(err: unknown): boolean {
  const cause = err instanceof Error && err.cause ? err.cause : err;
  return cause instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders());
}

function transportError(err: unknown, subject: string): BusError {
  if (err instanceof BusError) return err;
  if (isNoResponders(err)) return new BusError(errorBody('unavailable', `no service answers on ${subject}`));
  const cause = err instanceof Error && err.cause ? err.cause : err;
  if (cause instanceof natsErrors.TimeoutError || err instanceof natsErrors.TimeoutError)
    return new BusError(errorBody('timeout', `no reply on ${subject} in time`));
  return new BusError(errorBody('unavailable', `request on ${subject} failed: ${(err as Error).message}`));
}
