import { replyError } from '@vnf-lcm/bus/wire';
import type * as Agent from '@vnf-lcm/contracts/agent';
import { fromAjv } from '@vnf-lcm/contracts/descriptor/issues';
import { validators } from './validators.js';

/** Refuses, as `invalid_request` naming each field, a request that does not fit its schema. */
export function check<T>(verb: Agent.Verb, data: unknown): T {
  const validate = validators[verb];
  if (validate(data)) return data as T;
  const issues = (validate.errors ?? []).map(fromAjv);
  throw replyError('invalid_request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}
