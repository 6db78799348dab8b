import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { errorBody, Header, InFlight, inFlightSubject, MAX_REQUEST_BYTES, type ErrorBody } from '@vnf-lcm/contracts/common';
import { errorBodyOf } from './reply-error.js';

/** A request's handler: the parsed JSON object in, the reply's body out (or a throw). */
export type JsonHandler = (data: Record<string, unknown>, msg: Msg) => unknown;

export interface AnswerOptions {
  maxBytes?: number;
  /** writes out what must reach NATS before the reply (the handler's trace arrows) */
  beforeReply?: () => void;
  /** the caller's error body for what the handler threw (default: errorBodyOf) */
  errorBody?: (err: unknown) => ErrorBody;
  /** told once the reply is sent, with its error if it was one (for $SRV.STATS and metrics) */
  answered?: (error?: ErrorBody) => void;
}

/** The request's JSON object, or the error body that refuses it. */
export function parseRequest(msg: Msg, maxBytes = MAX_REQUEST_BYTES): { data: Record<string, unknown> } | { error: ErrorBody } {
  if (msg.data.length > maxBytes) return { error: errorBody('payload_too_large', `payload of ${msg.data.length} bytes is over the limit of ${maxBytes}`) };
  let data: unknown = {};
  if (msg.data.length > 0) {
    try {
      data = msg.json();
    } catch (err) {
      return { error: errorBody('invalid_json', `payload is not json: ${(err as Error).message}`) };
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { error: errorBody('invalid_request', 'payload must be a json object') };
  return { data: data as Record<string, unknown> };
}

/**
 * Requests being worked on, by subject and step key: a sender that repeats a step while its first
 * request is still in hand here (its reply was lost when NATS restarted, or it gave up waiting)
 * gets the first one's answer, instead of a second run of the same step beside the first.
 */
const inHand = new Map<string, Promise<unknown>>();

/**
 * Answers one request in plain JSON (docs/adr/0002): the handler's result, or `{ error }`. The one
 * path every request of every participant takes, the Nest services' and the agent's alike.
 *
 * A request that carries a step key and takes longer than InFlight.afterMs also gets an in-flight
 * subject, so that its sender can tell "still working" from "died with the request in hand"
 * (ADR 0010).
 */
export async function answer(nc: NatsConnection, msg: Msg, handler: JsonHandler | undefined, o: AnswerOptions = {}): Promise<void> {
  if (!msg.reply) return;
  const step = msg.headers?.get(Header.step);
  let working: Subscription | undefined;
  const later = step
    ? setTimeout(() => {
        // a connection closed meanwhile (the process stopping) has nobody left to tell
        if (!nc.isClosed()) working = nc.subscribe(inFlightSubject(msg.subject, step), { callback: (_e, m) => void m.respond('{"working":true}') });
      }, InFlight.afterMs)
    : undefined;
  const reply = (body: unknown) => {
    clearTimeout(later);
    o.beforeReply?.();
    msg.respond(JSON.stringify(body));
    // after the reply, in the same write: the server routes the reply first
    working?.unsubscribe();
    o.answered?.((body as { error?: ErrorBody }).error);
  };
  const parsed = parseRequest(msg, o.maxBytes);
  if ('error' in parsed) return reply(parsed);
  if (!handler) return reply({ error: errorBody('not_found', `no handler for ${msg.subject}`) });
  const key = step && `${msg.subject} ${step}`;
  const running = key ? inHand.get(key) : undefined;
  if (running) return reply(await running);
  const body = (async () => {
    try {
      return (await handler(parsed.data, msg)) ?? {};
    } catch (err) {
      return { error: (o.errorBody ?? errorBodyOf)(err) };
    }
  })();
  if (key) inHand.set(key, body);
  try {
    reply(await body);
  } finally {
    if (key) inHand.delete(key);
  }
}
