import { Ajv, type ValidateFunction } from 'ajv';
import * as Agent from '@vnf-lcm/contracts/agent';

/**
 * A validator per request, compiled from the agent's request schemas when this module loads.
 * The bundled agent never loads this file: scripts/bundle-agent.mjs puts in its place the same
 * validators compiled to code at build time (ajv's standalone mode), because compiling them at
 * every agent start costs about 70 ms and 13 MB (docs/adr/0018-light-agent.md).
 */
const ajv = new Ajv({ allErrors: true, strict: true });
export const validators = Object.fromEntries(Object.entries(Agent.RequestSchema).map(([verb, schema]) => [verb, ajv.compile(schema)])) as Record<
  Agent.Verb,
  ValidateFunction
>;
