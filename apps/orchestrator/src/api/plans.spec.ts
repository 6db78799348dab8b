import { toErrorBody } from '@vnf-lcm/bus';
import type { Descriptor, Lifecycle, Records } from '@vnf-lcm/contracts';
import { deployed, healPlan, knownVersion, migratePlan, scalePlan, upgradeCount } from './plans.js';

const app = (version: string): Descriptor.AppSpec => ({ version, command: 'node', port: 8080 });
const backend: Descriptor.ClusterSpec = { name: 'backend', nodes: 3, min: 2, max: 5, app: app('v2'), versions: [app('v1'), app('v3')] };
const node = (n: number, version: string, zone = 'local') => ({ node: `web-backend-${n}`, cluster: 'backend', zone, address: '127.9.0.1', port: 1, version });
const web = (nodes: Records.NodeRecord[]): Records.VnfRecord => ({
  name: 'web',
  descriptor: { name: 'web', clusters: [backend] },
  state: 'INSTANTIATED',
  nodes: { backend: nodes },
  nextSeq: { backend: nodes.length },
  updatedAt: '2030-01-01T00:00:00.000Z',
});
const three = web([node(1, 'v2'), node(2, 'v2'), node(3, 'v2')]);
const scale = (o: Partial<Lifecycle.Scale> = {}): Lifecycle.Scale => ({ vnf: 'web', cluster: 'backend', ...o });

/** the structured error a plan refuses with */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    return toErrorBody(err);
  }
  throw new Error('not refused');
}

test('scale-in removes one node by default, `by` nodes, or down to `nodes`', () => {
  expect(scalePlan(three, scale(), 'in')).toEqual({ cluster: 'backend', from: 3, to: 2 });
  expect(scalePlan(three, scale(), 'out')).toEqual({ cluster: 'backend', from: 3, to: 4 });
  expect(scalePlan(three, scale({ by: 2 }), 'out')).toEqual({ cluster: 'backend', from: 3, to: 5 });
  expect(scalePlan(three, scale({ nodes: 2 }), 'in')).toEqual({ cluster: 'backend', from: 3, to: 2 });
});

test("scale-in never goes below the cluster's minimum, scale-out never above its maximum", () => {
  expect(refusal(() => scalePlan(three, scale({ by: 2 }), 'in'))).toMatchObject({
    err_code: 'invalid_request',
    description: '1 nodes is below the minimum of backend (2)',
    details: { current: 3, requested: 1, min: 2, max: 5 },
  });
  expect(refusal(() => scalePlan(three, scale({ nodes: 6 }), 'out'))).toMatchObject({
    err_code: 'invalid_request',
    description: '6 nodes is above the maximum of backend (5)',
  });
});

test('a count that goes the wrong way for the direction is refused as such', () => {
  expect(refusal(() => scalePlan(three, scale({ nodes: 3 }), 'in')).description).toBe('backend has 3 nodes; scale-in needs fewer');
  expect(refusal(() => scalePlan(three, scale({ nodes: 2 }), 'out')).description).toBe('backend has 3 nodes already; scale-out needs more');
  expect(refusal(() => scalePlan(three, scale({ cluster: 'nope' }), 'in'))).toMatchObject({ err_code: 'not_found', details: { clusters: ['backend'] } });
});

test('an upgrade targets a version the cluster knows, and names those it knows otherwise', () => {
  expect(knownVersion(backend, 'v3')).toEqual(app('v3'));
  expect(knownVersion(backend, 'v2')).toEqual(app('v2'));
  expect(refusal(() => knownVersion(backend, 'v9'))).toMatchObject({ err_code: 'not_found', details: { versions: ['v2', 'v1', 'v3'] } });
});

test('an upgrade replaces the nodes not yet on the target, and none is refused', () => {
  const mixed = web([node(1, 'v3'), node(2, 'v2'), node(3, 'v2')]);
  expect(upgradeCount(mixed, backend, 'v3')).toBe(2);
  expect(upgradeCount(mixed, backend, 'v1')).toBe(3);
  expect(refusal(() => upgradeCount(three, backend, 'v2'))).toMatchObject({
    err_code: 'invalid_request',
    description: 'every node of backend runs v2 already',
  });
});

test('a migration moves the nodes outside the target zone; undone, they go back to the first node’s zone', () => {
  const spread = web([node(1, 'v2', 'local'), node(2, 'v2', 'edge'), node(3, 'v2', 'local')]);
  expect(migratePlan(spread, 'backend', 'edge')).toEqual({ cluster: 'backend', count: 2, zone: 'edge', from: 'local' });
  expect(refusal(() => migratePlan(three, 'backend', 'local')).description).toBe('every node of backend is in zone local already');
});

test('healing finds the cluster of the node it replaces', () => {
  expect(healPlan(three, 'web-backend-2')).toEqual({ cluster: 'backend', node: 'web-backend-2' });
  expect(refusal(() => healPlan(three, 'web-backend-9'))).toMatchObject({ err_code: 'not_found', description: 'unknown node web-backend-9 of web' });
});

test('only an instantiated VNF takes lifecycle requests', () => {
  expect(deployed(three)).toBe(three);
  expect(refusal(() => deployed({ ...three, state: 'NOT_INSTANTIATED', activeOp: 'op-1' }))).toMatchObject({
    err_code: 'conflict',
    details: { op: 'op-1', state: 'NOT_INSTANTIATED' },
  });
});
