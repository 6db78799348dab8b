import type { Descriptor, Records } from '@vnf-lcm/contracts';
import { deploymentPlan } from './deployment.saga.js';
import { terminationPlan } from './terminate.saga.js';

// a diamond, listed clients first: edge over cache and search, both over db
const app = { version: 'v1', command: 'node', port: 8080 };
const cluster = (name: string, nodes: number, dependsOn?: string[]): Descriptor.ClusterSpec => ({ name, nodes, app, ...(dependsOn ? { dependsOn } : {}) });
const diamond: Descriptor.VnfDescriptor = {
  name: 'diamond',
  clusters: [cluster('edge', 2, ['cache', 'search']), cluster('search', 1, ['db']), cluster('db', 1), cluster('cache', 2, ['db'])],
};
const node = (c: string, n: number) => ({ node: `diamond-${c}-${n}`, cluster: c, zone: 'local', address: '127.9.0.1', port: 1, version: 'v1' });
const deployed = (nodes: Record<string, number>): Records.VnfRecord => ({
  name: 'diamond',
  descriptor: diamond,
  state: 'INSTANTIATED',
  nodes: Object.fromEntries(Object.entries(nodes).map(([c, n]) => [c, Array.from({ length: n }, (_, i) => node(c, i + 1))])),
  nextSeq: {},
  updatedAt: '2030-01-01T00:00:00.000Z',
});

test('deployment activates every provider before its clients, and in descriptor order where free to choose', () => {
  expect(deploymentPlan(diamond).map((p) => p.cluster.name)).toEqual(['db', 'search', 'cache', 'edge']);
});

test("deployment's new nodes have no client to reconfigure: in dependency order none exists yet", () => {
  for (const p of deploymentPlan(diamond)) expect(p.clients).toEqual([]);
});

test('terminate removes clients before their providers: the reverse of the deployment order', () => {
  const plan = terminationPlan(deployed({ edge: 2, search: 1, db: 1, cache: 3 }));
  expect(plan.clusters).toEqual([
    { cluster: 'edge', count: 2 },
    { cluster: 'cache', count: 3 },
    { cluster: 'search', count: 1 },
    { cluster: 'db', count: 1 },
  ]);
});

test('terminate counts the nodes each cluster has when accepted: a cluster with none has nothing to remove', () => {
  expect(terminationPlan(deployed({ db: 1 })).clusters).toEqual([
    { cluster: 'edge', count: 0 },
    { cluster: 'cache', count: 0 },
    { cluster: 'search', count: 0 },
    { cluster: 'db', count: 1 },
  ]);
});
