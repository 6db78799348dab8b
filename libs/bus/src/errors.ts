import { RpcException } from '@nestjs/microservices';
import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { errorBody, type ErrName, type ErrorBody } from '@vnf-lcm/contracts';

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
  if (typeof err === 'object' && err !== null && 'err_code' in err && 'description' in err) return err as ErrorBody;
  // a handler that could not reach NATS (restarting, reconnecting) failed for now, not for good:
  // "unavailable" tells the caller to send the step again
  if (isNatsOutage(err)) return errorBody('unavailable', `nats: ${(err as Error).message}`);
  return errorBody('internal', 'internal error');
}

const OUTAGES = [
  natsErrors.ConnectionError,
  natsErrors.ClosedConnectionError,
  natsErrors.DrainingConnectionError,
  natsErrors.RequestError,
  natsErrors.TimeoutError,
  natsErrors.NoRespondersError,
];

function isNatsOutage(err: unknown): boolean {
  if (OUTAGES.some((c) => err instanceof c)) return true;
  // JetStream answers 503 or "temporarily unavailable" while it recovers after a restart
  return (err instanceof JetStreamError || err instanceof JetStreamApiError) && /503|unavailable|not enabled|no responders|timeout/i.test(err.message);
}
