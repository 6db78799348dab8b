import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import type { ErrorBody } from '@vnf-lcm/contracts';
import { toErrorBody } from './errors.js';
import type { Logger } from './log.js';

/**
 * Every error a handler throws becomes the caller's `{ error }` here, not Nest's "Internal server
 * error": an RpcException keeps its body, a lost NATS connection becomes "unavailable" (the
 * orchestrator sends the step again), and anything else is "internal" and logged with its stack.
 */
@Catch()
export class ErrorBodyFilter implements RpcExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(err: unknown, _host: ArgumentsHost): Observable<never> {
    const body = reportedErrorBody(this.log, err);
    return throwError(() => body);
  }
}

/** The caller's error body for what a handler threw; bugs and outages are logged. */
export function reportedErrorBody(log: Logger, err: unknown): ErrorBody {
  const body = toErrorBody(err);
  if (body.err_code === 'internal') log.error({ err }, 'handler failed');
  else if (body.err_code === 'unavailable') log.warn({ description: body.description }, 'handler could not reach nats');
  return body;
}
