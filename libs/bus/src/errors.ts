import { RpcException } from '@nestjs/microservices';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { errorBody, type ErrName, type ErrorBody } from '@vnf-lcm/contracts';
import { errorBodyOf } from './wire/reply-error.js';

/** Throw from a handler: the caller receives `{ error: { code, err_code, description, details } }`. */
export function rpcError(err_code: ErrName, description: string, details?: unknown): RpcException {
  return new RpcException(errorBody(err_code, description, details));
}

/**
 * A request whose reply was an error, or that got no reply. It is an RpcException so that a
 * handler that lets it through passes the original error on, not an "internal error".
 */
export class BusError extends RpcException {
  constructor(readonly body: ErrorBody) {
    super(body);
    this.name = 'BusError';
  }
  get err_code(): string {
    return this.body.err_code;
  }
}

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof BusError) return err.body;
  if (err instanceof RpcException) return toErrorBody(err.getError());
  // JetStream answers 503 or "temporarily unavailable" while it recovers after a restart
  if ((err instanceof JetStreamError || err instanceof JetStreamApiError) && /503|unavailable|not enabled|no responders|timeout/i.test(err.message))
    return errorBody('unavailable', `nats: ${err.message}`);
  // a ReplyError, an error body, a lost connection ("unavailable": the caller sends the step
  // again), or a bug ("internal")
  return errorBodyOf(err);
}
