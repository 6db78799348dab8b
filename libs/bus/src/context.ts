import type { NatsContext } from '@nestjs/microservices';
import { Header, type Origin } from '@vnf-lcm/contracts';

/** Where a request comes from: the operation id and step reference it carries, if any. */
export function opOf(ctx: NatsContext): Origin {
  const h = ctx.getHeaders?.();
  return { op: h?.get(Header.op) || 'none', step: h?.get(Header.step) || undefined, ...(h?.get(Header.again) === '1' ? { again: true } : {}) };
}
