import { TOKEN_PATTERN } from '../common/headers.js';
import { appSchema, endpointSchema, healthSchema, NAME_PATTERN } from '../descriptor/schema.js';
import type { Verb } from './index.js';

const token = { type: 'string', pattern: TOKEN_PATTERN } as const;
const endpoints = { type: 'array', items: endpointSchema, maxItems: 1000 } as const;
const endpointsByCluster = { type: 'object', propertyNames: { pattern: NAME_PATTERN }, additionalProperties: endpoints, maxProperties: 64 } as const;
/** a fresh object each: ajv compiles one function per schema object, and the verbs need their own */
const empty = () => ({ type: 'object', additionalProperties: false }) as const;

/**
 * The JSON schema of each request an agent answers, by verb: the same parts of the descriptor's
 * schema that the AO checked, checked again where they arrive. Unknown fields are refused. The
 * keys are spelled out because Verb's module re-exports this one.
 */
export const RequestSchema = {
  'app-create': {
    type: 'object',
    additionalProperties: false,
    required: ['vnf', 'cluster', 'app', 'members', 'endpoints'],
    properties: { vnf: token, cluster: token, app: appSchema, health: healthSchema, members: endpoints, endpoints: endpointsByCluster },
  },
  'app-start': empty(),
  'app-stop': empty(),
  'app-destroy': empty(),
  'cluster-reconfigure': { type: 'object', additionalProperties: false, required: ['members'], properties: { members: endpoints } },
  'client-reconfigure': {
    type: 'object',
    additionalProperties: false,
    required: ['provider', 'endpoints'],
    properties: { provider: token, endpoints },
  },
  status: empty(),
  shutdown: empty(),
} as const satisfies Record<Verb, object>;
