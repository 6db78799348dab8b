import { rpcError } from '@vnf-lcm/bus';
import { Descriptor, type Lifecycle, type Records } from '@vnf-lcm/contracts';
import type { HealParams } from '../saga/healing.saga.js';
import type { MigrateParams } from '../saga/migrate.saga.js';
import type { ScaleParams } from '../saga/scale-out.saga.js';

// What a lifecycle request asks of a VNF, worked out from its record: pure, so that the
// decisions are specified apart from the bus (plans.spec.ts). Each throws to refuse the request.

export function deployed(v: Records.VnfRecord): Records.VnfRecord {
  if (v.state !== 'INSTANTIATED')
    throw rpcError('conflict', `vnf ${v.name} is not instantiated: not deployed yet, or terminated`, { op: v.activeOp, state: v.state });
  return v;
}

export function clusterOf(v: Records.VnfRecord, cluster: string): Descriptor.ClusterSpec {
  const spec = v.descriptor.clusters.find((c) => c.name === cluster);
  if (!spec) throw rpcError('not_found', `unknown cluster ${v.name}/${cluster}`, { clusters: v.descriptor.clusters.map((c) => c.name) });
  return spec;
}

/** The node count to reach: `nodes`, or `by` (default 1) more or fewer, within the cluster's limits. */
export function scalePlan(v: Records.VnfRecord, req: Lifecycle.Scale, direction: 'out' | 'in'): ScaleParams {
  const spec = clusterOf(v, req.cluster);
  const from = v.nodes[req.cluster]?.length ?? 0;
  const step = req.by ?? 1;
  const to = req.nodes ?? (direction === 'out' ? from + step : from - step);
  const [min, max] = [Descriptor.minOf(spec), Descriptor.maxOf(spec)];
  const range = { current: from, requested: to, min, max };
  if (direction === 'out' && to <= from) throw rpcError('invalid_request', `${req.cluster} has ${from} nodes already; scale-out needs more`, range);
  if (direction === 'in' && to >= from) throw rpcError('invalid_request', `${req.cluster} has ${from} nodes; scale-in needs fewer`, range);
  if (to > max) throw rpcError('invalid_request', `${to} nodes is above the maximum of ${req.cluster} (${max})`, range);
  if (to < min) throw rpcError('invalid_request', `${to} nodes is below the minimum of ${req.cluster} (${min})`, range);
  // the VNF record lists every node: it must stay one message
  const total = Object.values(v.nodes).reduce((n, ns) => n + ns.length, 0) - from + to;
  if (direction === 'out' && total > Descriptor.MAX_VNF_NODES)
    throw rpcError('invalid_request', `${total} nodes in ${v.name} is over the limit of ${Descriptor.MAX_VNF_NODES} a VNF (MAX_VNF_NODES)`, {
      ...range,
      total,
      limit: Descriptor.MAX_VNF_NODES,
    });
  return { cluster: req.cluster, from, to };
}

/** A version the cluster's record knows: its current app or one of its `versions`. */
export function knownVersion(spec: Descriptor.ClusterSpec, version: string): Descriptor.AppSpec {
  const app = Descriptor.versionOf(spec, version);
  if (!app) throw rpcError('not_found', `unknown version ${version} of ${spec.name}`, { versions: [spec.app, ...(spec.versions ?? [])].map((a) => a.version) });
  return app;
}

/** How many nodes an upgrade to `version` replaces: those that do not run it yet. */
export function upgradeCount(v: Records.VnfRecord, spec: Descriptor.ClusterSpec, version: string): number {
  const count = (v.nodes[spec.name] ?? []).filter((n) => n.version !== version).length;
  if (count === 0) throw rpcError('invalid_request', `every node of ${spec.name} runs ${version} already`);
  return count;
}

/** The nodes outside `zone` move; they come back to the zone the first node had, if undone. */
export function migratePlan(v: Records.VnfRecord, cluster: string, zone: string): MigrateParams {
  const spec = clusterOf(v, cluster);
  const count = (v.nodes[spec.name] ?? []).filter((n) => n.zone !== zone).length;
  if (count === 0) throw rpcError('invalid_request', `every node of ${spec.name} is in zone ${zone} already`);
  return { cluster: spec.name, count, zone, from: v.nodes[spec.name]?.[0]?.zone };
}

export function healPlan(v: Records.VnfRecord, node: string): HealParams {
  const cluster = Object.keys(v.nodes).find((c) => v.nodes[c].some((n) => n.node === node));
  if (!cluster) throw rpcError('not_found', `unknown node ${node} of ${v.name}`);
  return { cluster, node };
}

/** Where a recorded application spec sits in its descriptor, as a JSON pointer. */
export function appPointer(d: Descriptor.VnfDescriptor, spec: Descriptor.ClusterSpec, app: Descriptor.AppSpec): string {
  const i = d.clusters.indexOf(spec);
  return app === spec.app ? `/clusters/${i}/app` : `/clusters/${i}/versions/${(spec.versions ?? []).indexOf(app)}`;
}
