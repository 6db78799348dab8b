import { TOKEN_PATTERN } from '../common/headers.js';

const token = { type: 'string', pattern: TOKEN_PATTERN } as const;
/** VNF and cluster names are short: a node id is `<vnf>-<cluster>-<n>` and must stay one token. */
export const NAME_PATTERN = '^[a-z][a-z0-9-]{0,23}$';
const name = { type: 'string', pattern: NAME_PATTERN } as const;

/**
 * A local image reference, `name[:tag][@sha256:digest]` with `/` in the name (no registry port):
 * `vnf-lcm/examples:latest`. The docker VIM driver checks its zones' images with it too.
 */
export const IMAGE_PATTERN = '^[a-z0-9][a-z0-9._/-]{0,254}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$';

/** One version of a cluster's application. */
export const appSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'command', 'port'],
  properties: {
    version: { type: 'string', pattern: '^[^\\s]{1,64}$' },
    command: { type: 'string', minLength: 1 },
    args: { type: 'array', items: { type: 'string' } },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    cwd: { type: 'string', minLength: 1 },
    // the image a docker host runs (default: its zone's); process hosts ignore it
    image: { type: 'string', pattern: IMAGE_PATTERN },
    // how a docker host runs it, where that differs from a process host: paths in the image
    docker: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        command: { type: 'string', minLength: 1 },
        args: { type: 'array', items: { type: 'string' } },
        cwd: { type: 'string', minLength: 1 },
      },
    },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    reload: {
      type: 'object',
      additionalProperties: false,
      properties: {
        signal: { enum: ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] },
        command: { type: 'array', items: { type: 'string' }, minItems: 1 },
      },
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['http'],
  properties: {
    http: { type: 'string', pattern: '^/' },
    intervalMs: { type: 'integer', minimum: 10, maximum: 60000 },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
  },
} as const;

/** One cluster of a descriptor. */
export const clusterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'nodes', 'app'],
  properties: {
    name,
    nodes: { type: 'integer', minimum: 0, maximum: 1000 },
    min: { type: 'integer', minimum: 0, maximum: 1000 },
    max: { type: 'integer', minimum: 1, maximum: 1000 },
    zone: token,
    dependsOn: { type: 'array', items: name, uniqueItems: true, maxItems: 64 },
    /** each node's limits where the zone's driver enforces them (docker: its cgroup); a process zone ignores them */
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cpus: { type: 'number', exclusiveMinimum: 0, maximum: 256 },
        memoryMiB: { type: 'integer', minimum: 6, maximum: 1048576 },
      },
    },
    autoscale: {
      type: 'object',
      additionalProperties: false,
      required: ['metric', 'out', 'in'],
      properties: {
        metric: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' },
        out: { type: 'number', minimum: 0 },
        in: { type: 'number', minimum: 0 },
        cooldownMs: { type: 'integer', minimum: 0, maximum: 3600000 },
      },
    },
    health: healthSchema,
    app: appSchema,
    versions: { type: 'array', items: appSchema, maxItems: 32 },
  },
} as const;

/** One member of a cluster as its peers and clients see it (not part of a descriptor). */
export const endpointSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['node', 'address', 'port'],
  properties: {
    node: token,
    address: { type: 'string', pattern: '^[0-9a-f.:]{2,45}$' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    version: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

/** JSON schema of a VNF descriptor (draft-07, checked with ajv). */
export const descriptorSchema = {
  $id: 'https://vnf-lcm.dev/schema/descriptor.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'clusters'],
  properties: {
    name,
    description: { type: 'string', maxLength: 2000 },
    clusters: { type: 'array', minItems: 1, maxItems: 64, items: clusterSchema },
  },
} as const;
