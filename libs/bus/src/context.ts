import type { NatsContext } from '@nestjs/microservices';
import { Header } from '@vnf-lcm/contracts';

/** The operation id and step key a request carries, if any. */
export function opOf(ctx: NatsContext): { op: string; step?: string } {
  const h = ctx.getHeaders?.();
  return { op: h?.get(Header.op) || 'none', step: h?.get(Header.step) || undefined };
}
