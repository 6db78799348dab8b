import type { Permissions, ResponsePermissions } from '@nats-io/jwt';
import { Access } from '@vnf-lcm/contracts';

/**
 * How long a responder may take to answer a request it received: NATS' default (2 min) is
 * shorter than the slowest step (an application that stops slowly, a long health check).
 */
const RESPONSE_TTL_NS = 15 * 60 * 1e9;

/** A role's row of the access table as JWT permissions: allow lists, so anything else is refused. */
export function permissionsOf(role: Access.Role): Partial<Permissions> & { resp?: ResponsePermissions } {
  const g = Access.TABLE[role];
  const p: Partial<Permissions> & { resp?: ResponsePermissions } = {
    pub: { allow: [...new Set(g.pub)], deny: [] },
    sub: { allow: [...new Set(g.sub)], deny: [] },
  };
  if (g.responds) p.resp = { max: 1, ttl: RESPONSE_TTL_NS };
  return p;
}
