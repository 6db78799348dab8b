import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { PubHeaders } from '@nats-io/jetstream';
import { Trace } from '@vnf-lcm/contracts';
import { jsReplicas } from './replicas.js';

interface Sent {
  entry: Trace.Entry;
  data: string;
  msgID: string;
}

/** how long written arrows wait before one PING confirms them all */
const CONFIRM_AFTER_MS = 50;
/** how long to wait before asking again when NATS did not answer */
const RETRY_MS = 100;
/** on a cluster, how long an arrow waits for JetStream's acknowledgement before it is sent again */
const ACK_TIMEOUT_MS = 2_000;

/**
 * Writes trace arrows to the trace stream without waiting for JetStream's acknowledgement
 * (ADR 0011). The server stores a stream message before it handles the next message of the same
 * connection (ADR 0009), so a PING sent after some arrows is answered once they are stored:
 * `flush()` confirms every arrow written before it. An arrow written into a connection that
 * broke may never have reached the server: after a reconnect every unconfirmed arrow is written
 * again, under its message id, so the stream keeps one copy.
 *
 * An arrow is recorded (its time taken) at once but written out with the next message its
 * connection sends, or when the current task is done (ADR 0012): written on its own, each arrow
 * cost a socket write and a wake-up of the server on the step's path. Every publish and request
 * through `orderedConnection` (a KV write recording a step's outcome among them) drains the
 * arrows first, and so does a reply (the answer path's `beforeReply`): nothing leaves this
 * process ahead of an arrow recorded before it, and the stream's order stays the causal order.
 * The writer itself sends on the connection it was given, unwrapped.
 *
 * On a cluster (`acked`, VNF_JS_REPLICAS > 1) the PING proves nothing: the stream's leader may be
 * another server, or none for the seconds after its server was killed, and an arrow published
 * then is dropped unseen. There each arrow is sent as a request and kept until JetStream
 * acknowledges it; one that gets no acknowledgement is sent again with every later one, in order,
 * under its message id (docs/cluster.md). The step still does not wait for it.
 */
export class ArrowWriter {
  /** recorded, not yet written to the connection */
  private queued: { entry: Trace.Entry; msgID: string }[] = [];
  private draining?: NodeJS.Immediate;
  private readonly unconfirmed: Sent[] = [];
  private confirming?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** bumped on every reconnect: a PING that straddles one confirms nothing */
  private generation = 0;
  /** the connection's own request, not drained (acked mode) */
  private readonly rawRequest: NatsConnection['request'];
  private resend?: NodeJS.Timeout;
  /** the INFO of the connection last written to */
  private info?: NatsConnection['info'];

  constructor(
    private readonly nc: NatsConnection,
    private readonly onLost: (entry: Trace.Entry, err: Error) => void,
    private readonly acked = jsReplicas() > 1,
  ) {
    // the writer's own requests go out on the connection itself (it is not the ordered wrapper)
    this.rawRequest = nc.request.bind(nc);
    void this.watchReconnects();
  }

  write(entry: Trace.Entry, msgID: string): void {
    this.queued.push({ entry, msgID });
    this.draining ??= setImmediate(() => this.drain());
  }

  /** Writes the recorded arrows to the connection now, ahead of whatever is sent next. */
  drain(): void {
    if (this.draining) clearImmediate(this.draining);
    this.draining = undefined;
    if (this.queued.length === 0) return;
    this.resendAfterReconnect();
    const queued = this.queued;
    this.queued = [];
    for (const { entry, msgID } of queued) {
      const sent = { entry, data: JSON.stringify(entry), msgID };
      this.unconfirmed.push(sent);
      this.send(sent);
    }
    if (this.acked) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.confirm();
    }, CONFIRM_AFTER_MS).unref();
  }

  /**
   * Resolves once every arrow written so far is stored, or reported lost: when the connection
   * closes, or (with a deadline, for a process about to exit) when the deadline passes first.
   */
  async settled(deadlineMs = Number.POSITIVE_INFINITY): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      this.drain();
      if (this.unconfirmed.length === 0) return;
      if (Date.now() >= until) {
        const err = new Error(`not confirmed within ${deadlineMs} ms`);
        for (const s of this.unconfirmed.splice(0)) this.onLost(s.entry, err);
        return;
      }
      if (deadlineMs === Number.POSITIVE_INFINITY) await this.confirm();
      else await Promise.race([this.confirm(), new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())).unref())]);
    }
  }

  private send(s: Sent): void {
    if (this.acked) {
      this.sendAcked(s);
      return;
    }
    try {
      publishWithId(this.nc, Trace.subject(s.entry.op), s.data, s.msgID);
    } catch {
      // closed: confirm() reports it lost
    }
  }

  /** acked mode: kept until JetStream's acknowledgement (a duplicate's too: stored before) */
  private sendAcked(s: Sent): void {
    const h = natsHeaders();
    h.set(PubHeaders.MsgIdHdr, s.msgID);
    let sent: Promise<unknown>;
    try {
      sent = this.rawRequest(Trace.subject(s.entry.op), s.data, { headers: h, timeout: ACK_TIMEOUT_MS });
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent
      .then(
        (m) => {
          const ack = (m as { json<T>(): T }).json<{ error?: unknown }>();
          if (ack.error) return this.sendAgain();
          const i = this.unconfirmed.indexOf(s);
          if (i >= 0) this.unconfirmed.splice(i, 1);
        },
        (err: Error) => {
          if (this.nc.isClosed()) for (const x of this.unconfirmed.splice(0)) this.onLost(x.entry, err);
          else this.sendAgain();
        },
      )
      // an answer that is not JSON: not an acknowledgement
      .catch(() => this.sendAgain());
  }

  /** every arrow not yet acknowledged, again and in order, once (however many failed meanwhile) */
  private sendAgain(): void {
    this.resend ??= setTimeout(() => {
      this.resend = undefined;
      for (const s of this.unconfirmed) this.sendAcked(s);
    }, RETRY_MS).unref();
  }

  private confirm(): Promise<void> {
    // acked mode: each acknowledgement confirms its own arrow; settled() looks again shortly
    if (this.acked) return new Promise((r) => setTimeout(r, RETRY_MS).unref());
    return (this.confirming ??= (async () => {
      const batch = this.unconfirmed.slice();
      const generation = this.generation;
      try {
        await this.nc.flush();
        // those of the batch still waiting (settled() may have given up on them meanwhile)
        let n = 0;
        while (n < batch.length && this.unconfirmed[n] === batch[n]) n++;
        if (generation === this.generation) this.unconfirmed.splice(0, n);
      } catch (err) {
        // closed for good: nothing written into it will be stored any more; else NATS is away
        // for now, and the arrows are written again when it is back
        if (this.nc.isClosed()) for (const s of this.unconfirmed.splice(0)) this.onLost(s.entry, err as Error);
        else await new Promise((r) => setTimeout(r, RETRY_MS));
      } finally {
        this.confirming = undefined;
      }
    })());
  }

  /**
   * A new connection since the last write (each one starts with the server's INFO, a new object):
   * what the old connection may have lost is written again first, so that an arrow recorded now
   * is never stored ahead of one recorded before it. The reconnect event (watchReconnects) may
   * come after the first write on the new connection: seen there, a VIM's `destroy virtual host`
   * was stored ahead of the return of its `stop virtual host`.
   */
  private resendAfterReconnect(): void {
    const info = this.nc.info;
    if (info === this.info) return;
    const first = this.info === undefined;
    this.info = info;
    if (first || this.acked) return;
    this.generation++;
    for (const sent of this.unconfirmed) this.send(sent);
  }

  private async watchReconnects(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type !== 'reconnect' || this.acked) continue;
      this.generation++;
      for (const sent of this.unconfirmed) this.send(sent);
    }
  }
}

/**
 * The connection as a service's code and its JetStream clients see it: the same connection, but
 * its publish and request first write out `before` (the recorded arrows). A wrapper, so that the
 * client's own object is left as nats.js made it; its other members are the connection's own,
 * bound to it. (nats.js sends a request's message through its protocol layer, not through
 * publish: both are wrapped.)
 */
export function orderedConnection(nc: NatsConnection, before: () => void): NatsConnection {
  const publish: NatsConnection['publish'] = (...a) => {
    before();
    nc.publish(...a);
  };
  const request: NatsConnection['request'] = (...a) => {
    before();
    return nc.request(...a);
  };
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      if (prop === 'request') return request;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/**
 * A plain publish (no ack awaited) that a stream capturing the subject stores once per id,
 * however often it is sent again within the stream's duplicate window.
 */
export function publishWithId(nc: NatsConnection, subject: string, data: string, id: string): void {
  const h = natsHeaders();
  h.set(PubHeaders.MsgIdHdr, id);
  nc.publish(subject, data, { headers: h });
}
