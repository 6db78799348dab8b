import { ServerNats, NatsContext } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { errorBody, Header, InFlight, inFlightSubject, MAX_REQUEST_BYTES, type ErrorBody } from '@vnf-lcm/contracts';
import type { Route } from './dispatch.js';
import { toErrorBody } from './errors.js';

export interface PlainJsonOptions {
  /** instances of one service share its requests (each request reaches one of them) */
  queue?: string;
  maxBytes?: number;
  /** writes out what must reach NATS before a reply (the handler's trace arrows) */
  beforeReply?: () => void;
  /** the caller's error body for what a directly called handler threw (logged there) */
  errorBody?: (err: unknown) => ErrorBody;
  /** told of every request answered, for the service's statistics ($SRV.STATS, metrics) */
  answered?: (subject: string, startedNs: bigint, error?: ErrorBody) => void;
}

/**
 * Nest's NATS transport, speaking plain JSON instead of Nest's envelope: a request is the JSON
 * body itself and the reply is the handler's result or `{ error }`, so any NATS client (the
 * `nats` CLI included) can use every subject. It also reuses the service's one named connection.
 */
export class PlainJsonNatsServer extends ServerNats {
  private routes = new Map<string, Route>();
  private readonly maxBytes: number;
  private readonly beforeReply: () => void;
  private readonly errorBody: (err: unknown) => ErrorBody;
  private readonly answered?: PlainJsonOptions['answered'];

  constructor(
    private readonly nc: NatsConnection,
    o: PlainJsonOptions = {},
  ) {
    super({ queue: o.queue });
    this.maxBytes = o.maxBytes ?? MAX_REQUEST_BYTES;
    this.beforeReply = o.beforeReply ?? (() => undefined);
    this.errorBody = o.errorBody ?? toErrorBody;
    this.answered = o.answered;
  }

  /** Handlers called directly, ahead of Nest's (see `routesOf`). */
  useRoutes(routes: Map<string, Route>): void {
    this.routes = routes;
  }

  override async createNatsClient(): Promise<any> {
    return this.nc;
  }

  /**
   * Stops listening and leaves the connection open: it is the service's, which still has trace
   * arrows to see stored before it drains the connection (runService's close).
   */
  override async close(): Promise<void> {
    (this as unknown as { subscriptions?: { forEach(f: (s: Subscription) => void): void } }).subscriptions?.forEach((s) => s.unsubscribe());
    this.statusEventEmitter.removeAllListeners();
  }

  override async handleMessage(channel: string, msg: Msg): Promise<any> {
    const started = process.hrtime.bigint();
    const step = msg.reply ? msg.headers?.get(Header.step) : undefined;
    const ctx = new NatsContext([msg.subject, msg.headers]);
    // "still working on it", for a sender that wonders whether this process died meanwhile
    let working: Subscription | undefined;
    const subscribe = () => {
      // a connection closed meanwhile (the service stopping) has nobody left to tell
      if (!this.nc.isClosed()) working = this.nc.subscribe(inFlightSubject(msg.subject, step!), { callback: (_e, m) => void m.respond('{"working":true}') });
    };
    const later = step ? setTimeout(subscribe, InFlight.afterMs) : undefined;
    let answered = false;
    const reply = (body: unknown) => {
      if (answered || !msg.reply) return;
      answered = true;
      clearTimeout(later);
      this.beforeReply();
      msg.respond(JSON.stringify(body));
      // after the reply, in the same write: the server routes the reply first
      working?.unsubscribe();
      this.answered?.(channel, started, (body as { error?: ErrorBody }).error);
    };
    const fail = (e: ErrorBody) => reply({ error: e });
    if (msg.data.length > this.maxBytes)
      return fail(errorBody('payload_too_large', `payload of ${msg.data.length} bytes is over the limit of ${this.maxBytes}`));
    let data: unknown = {};
    if (msg.data.length > 0) {
      try {
        data = msg.json();
      } catch (err) {
        return fail(errorBody('invalid_json', `payload is not json: ${(err as Error).message}`));
      }
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      return fail(errorBody('invalid_request', 'payload must be a json object'));
    if (!msg.reply) return this.handleEvent(channel, { pattern: channel, data }, ctx);
    const route = this.routes.get(channel);
    const handler = route ?? this.getHandlerByPattern(channel);
    if (!handler) return fail(errorBody('not_found', `no handler for ${channel}`));
    // one answer per request: the handler's last value, or its error (Nest's handlers have been
    // through the exception filter); Nest's stream machinery for many answers is not needed here
    try {
      const out = await handler(data, ctx);
      reply((isObservable(out) ? await lastValueFrom(out, { defaultValue: undefined }) : out) ?? {});
    } catch (err) {
      fail(route ? this.errorBody(err) : toErrorBody(err));
    }
  }
}
