import { errors as natsErrors } from '@nats-io/transport-node';
import { errorBody, type ErrName, type ErrorBody } from '@vnf-lcm/contracts/common';

/**
 * What a handler throws to answer `{ error: body }`. Plain, not Nest's RpcException: the agent
 * answers requests without Nest (docs/adr/0018-light-agent.md); the services' error filter
 * passes it on the same way.
 */
export class ReplyError extends Error {
  override name = 'ReplyError';
  constructor(readonly body: ErrorBody) {
    super(body.description);
  }
}

export function replyError(err_code: ErrName, description: string, details?: unknown): ReplyError {
  return new ReplyError(errorBody(err_code, description, details));
}

const OUTAGES = [
  natsErrors.ConnectionError,
  natsErrors.ClosedConnectionError,
  natsErrors.DrainingConnectionError,
  natsErrors.RequestError,
  natsErrors.TimeoutError,
  natsErrors.NoRespondersError,
];

/** A NATS client error that means "not reachable now", not "wrong": the caller may ask again. */
export function isNatsOutage(err: unknown): boolean {
  return OUTAGES.some((c) => err instanceof c);
}

/**
 * The caller's error body for what a handler threw: a ReplyError's or an error body's own, a lost
 * NATS connection as `unavailable` (the orchestrator sends the step again), anything else as
 * `internal` (a bug: its text stays in the replier's log, not in the reply).
 */
export function errorBodyOf(err: unknown): ErrorBody {
  if (err instanceof ReplyError) return err.body;
  if (typeof err === 'object' && err !== null && 'err_code' in err && 'description' in err) return err as ErrorBody;
  if (isNatsOutage(err)) return errorBody('unavailable', `nats: ${(err as Error).message}`);
  return errorBody('internal', 'internal error');
}
