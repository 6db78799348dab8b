import { ServerNats, NatsContext } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { MAX_REQUEST_BYTES, type ErrorBody } from '@vnf-lcm/contracts';
import type { Route } from './dispatch.js';
import { toErrorBody } from './errors.js';
import { answer, parseRequest, type JsonHandler } from './wire/answer.js';

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
  private readonly handlerSubs: Subscription[] = [];
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

  /**
   * The service's own connection, for Nest to subscribe the handlers' subjects on; what it
   * subscribes is noted here, so that close() can end exactly those (Nest keeps its list private).
   */
  override async createNatsClient(): Promise<any> {
    const mine = this.handlerSubs;
    const nc = this.nc;
    return new Proxy(nc, {
      get(target, prop) {
        if (prop === 'subscribe') return (...a: Parameters<NatsConnection['subscribe']>) => mine[mine.push(target.subscribe(...a)) - 1];
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  /**
   * Stops listening and leaves the connection open: it is the service's, which still has trace
   * arrows to see stored before it drains the connection (runService's close).
   */
  override async close(): Promise<void> {
    for (const s of this.handlerSubs.splice(0)) s.unsubscribe();
    this.statusEventEmitter.removeAllListeners();
  }

  override async handleMessage(channel: string, msg: Msg): Promise<any> {
    const started = process.hrtime.bigint();
    const ctx = new NatsContext([msg.subject, msg.headers]);
    if (!msg.reply) {
      const parsed = parseRequest(msg, this.maxBytes);
      return 'data' in parsed ? this.handleEvent(channel, { pattern: channel, data: parsed.data }, ctx) : undefined;
    }
    const route = this.routes.get(channel);
    const nest = route ? undefined : this.getHandlerByPattern(channel);
    // one answer per request: the handler's last value, or its error (Nest's handlers have been
    // through the exception filter); Nest's stream machinery for many answers is not needed here
    const handler: JsonHandler | undefined = route
      ? (data) => route(data, ctx)
      : nest
        ? async (data) => {
            const out = await nest(data, ctx);
            return isObservable(out) ? await lastValueFrom(out, { defaultValue: undefined }) : out;
          }
        : undefined;
    return answer(this.nc, msg, handler, {
      maxBytes: this.maxBytes,
      beforeReply: this.beforeReply,
      errorBody: route ? this.errorBody : toErrorBody,
      answered: this.answered && ((error) => this.answered!(channel, started, error)),
    });
  }
}
