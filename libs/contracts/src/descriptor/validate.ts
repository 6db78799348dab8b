import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { descriptorAppIssues } from './confinement.js';
import { descriptorSchema } from './schema.js';
import { fromAjv, type DescriptorIssue } from './issues.js';
import type { AppSpec, ClusterSpec, VnfDescriptor } from './types.js';

export { fromAjv, type DescriptorIssue };

/**
 * The largest descriptor, as JSON, a deployment or an upgrade accepts. The AO keeps it whole in
 * the VNF's record and in the deployment's operation record (JetStream KV values, each one NATS
 * message of at most the server's max_payload, 1 MiB by default) next to the nodes and steps:
 * 64 KiB leaves those room, and the 50 VNFs of test/big-records.test.ts list and restart at it.
 */
export const MAX_DESCRIPTOR_BYTES = 64 * 1024;

/**
 * The most nodes one VNF may have, all clusters together: the VNF record lists every one (some
 * 100 to 300 bytes each), and with the largest descriptor it must stay one KV value (< 1 MiB).
 * Deployment and scale-out refuse more.
 */
export const MAX_VNF_NODES = 2000;

export class DescriptorError extends Error {
  constructor(readonly issues: DescriptorIssue[]) {
    super(issues.map((i) => `${i.field || '/'}: ${i.message}`).join('; '));
    this.name = 'DescriptorError';
  }
}

/** one compiler for the descriptor and for its parts that messages carry (conforms.ts) */
export const ajv = new Ajv({ allErrors: true, strict: true });
const check = ajv.compile(descriptorSchema);

/**
 * What a descriptor's applications may do on the nodes (confinement.ts). The orchestrator passes
 * its own; a client that does not know the server's roots checks the descriptor without.
 */
export interface AppPolicy {
  /** absolute folders an absolute `cwd` must lie in (parseAppRoots) */
  appRoots: readonly string[];
}

/** Accepts the descriptor as an object or as YAML (or JSON) text. */
export function parseDescriptor(input: unknown, policy?: AppPolicy): VnfDescriptor {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = parseYaml(input);
    } catch (err) {
      throw new DescriptorError([{ field: '/', message: `not valid yaml: ${(err as Error).message.split('\n')[0]}` }]);
    }
  }
  // YAML aliases can make a small text a huge descriptor: it is kept whole in every record
  let size: number;
  try {
    size = new TextEncoder().encode(JSON.stringify(value ?? null)).length;
  } catch (err) {
    if (err instanceof RangeError) throw new DescriptorError([{ field: '/', message: 'nested too deeply' }]);
    throw err;
  }
  if (size > MAX_DESCRIPTOR_BYTES)
    throw new DescriptorError([{ field: '/', message: `is ${size} bytes as JSON, over the limit of ${MAX_DESCRIPTOR_BYTES} (MAX_DESCRIPTOR_BYTES)` }]);
  if (!check(value)) throw new DescriptorError((check.errors ?? []).map(fromAjv));
  const d = value as VnfDescriptor;
  const issues = [...semanticIssues(d), ...(policy ? descriptorAppIssues(d, policy.appRoots) : [])];
  if (issues.length) throw new DescriptorError(issues);
  return d;
}

function semanticIssues(d: VnfDescriptor): DescriptorIssue[] {
  const issues: DescriptorIssue[] = [];
  const index = new Map<string, number>();
  d.clusters.forEach((c, i) => {
    if (index.has(c.name)) issues.push({ field: `/clusters/${i}/name`, message: `duplicate cluster name ${c.name}` });
    else index.set(c.name, i);
    // cluster names key the records' maps (nodes, numbering): one that every object has is taken
    if (c.name in Object.prototype) issues.push({ field: `/clusters/${i}/name`, message: `cluster name ${c.name} is reserved` });
    const min = minOf(c);
    const max = maxOf(c);
    if (min > max) issues.push({ field: `/clusters/${i}/min`, message: `min ${min} is above max ${max}` });
    const versions = [c.app.version, ...(c.versions ?? []).map((v) => v.version)];
    (c.versions ?? []).forEach((v, j) => {
      // clients reach every member of a cluster on one port, whatever version it runs
      if (v.port !== c.app.port)
        issues.push({ field: `/clusters/${i}/versions/${j}/port`, message: `port ${v.port} differs from the app's port ${c.app.port}` });
    });
    versions.forEach((v, j) => {
      if (j > 0 && versions.indexOf(v) < j) issues.push({ field: `/clusters/${i}/versions/${j - 1}/version`, message: `duplicate version ${v}` });
    });
    if (c.autoscale && c.autoscale.in >= c.autoscale.out)
      issues.push({ field: `/clusters/${i}/autoscale/in`, message: `in threshold ${c.autoscale.in} must be below out threshold ${c.autoscale.out}` });
    if (c.nodes < min || c.nodes > max) issues.push({ field: `/clusters/${i}/nodes`, message: `node count ${c.nodes} is outside ${min}..${max}` });
  });
  d.clusters.forEach((c, i) =>
    (c.dependsOn ?? []).forEach((dep, j) => {
      if (!index.has(dep)) issues.push({ field: `/clusters/${i}/dependsOn/${j}`, message: `unknown cluster ${dep}` });
      else if (dep === c.name) issues.push({ field: `/clusters/${i}/dependsOn/${j}`, message: 'a cluster cannot depend on itself' });
    }),
  );
  const total = d.clusters.reduce((n, c) => n + c.nodes, 0);
  if (total > MAX_VNF_NODES) issues.push({ field: '/clusters', message: `${total} nodes in all, over the limit of ${MAX_VNF_NODES} a VNF (MAX_VNF_NODES)` });
  if (issues.length) return issues;
  const cycle = findCycle(d.clusters);
  if (cycle) issues.push({ field: `/clusters/${index.get(cycle[0])}/dependsOn`, message: `dependency cycle: ${cycle.join(' -> ')}` });
  return issues;
}

function findCycle(clusters: ClusterSpec[]): string[] | undefined {
  const deps = new Map(clusters.map((c) => [c.name, c.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'visiting');
    path.push(n);
    for (const d of deps.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const c of clusters) {
    const found = visit(c.name);
    if (found) return found;
  }
  return undefined;
}

/** Providers before their clients; ties keep the descriptor's order. */
export function deploymentOrder(d: VnfDescriptor): ClusterSpec[] {
  const done = new Set<string>();
  const out: ClusterSpec[] = [];
  while (out.length < d.clusters.length) {
    const next = d.clusters.find((c) => !done.has(c.name) && (c.dependsOn ?? []).every((x) => done.has(x)));
    if (!next) throw new DescriptorError([{ field: '/clusters', message: 'dependency cycle' }]);
    done.add(next.name);
    out.push(next);
  }
  return out;
}

/** The clusters that depend on `cluster` (its clients), in the descriptor's order. */
export function clientsOf(d: VnfDescriptor, cluster: string): ClusterSpec[] {
  return d.clusters.filter((c) => (c.dependsOn ?? []).includes(cluster));
}

export function minOf(c: ClusterSpec): number {
  return c.min ?? Math.min(1, c.nodes);
}

export function maxOf(c: ClusterSpec): number {
  return c.max ?? Math.max(c.nodes, 1000);
}

/** The application spec of `version` for a cluster, from `app` or `versions`. */
export function versionOf(c: ClusterSpec, version: string): AppSpec | undefined {
  return [c.app, ...(c.versions ?? [])].find((a) => a.version === version);
}

/**
 * The application as a host of that VIM driver runs it: a `docker` host takes `app.docker`'s
 * command, args and cwd (paths in the image) over the app's own; any other host the app's own.
 * The `docker` block stays with the descriptor: an agent gets only what it runs.
 */
export function appOnHost(app: AppSpec, driver: string): AppSpec {
  const { docker, ...own } = app;
  if (driver !== 'docker' || !docker) return own;
  return {
    ...own,
    ...(docker.command !== undefined ? { command: docker.command } : {}),
    ...(docker.args !== undefined ? { args: docker.args } : {}),
    ...(docker.cwd !== undefined ? { cwd: docker.cwd } : {}),
  };
}
