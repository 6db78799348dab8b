import { clientsOf, deploymentOrder, DescriptorError, parseDescriptor } from './validate.js';
import type { VnfDescriptor } from './types.js';

const app = { version: 'v1', command: 'node', args: ['x.mjs'], port: 8080 };
const vnf = (clusters: object[]): unknown => ({ name: 'v', clusters });
const issues = (input: unknown) => {
  try {
    parseDescriptor(input);
  } catch (err) {
    if (err instanceof DescriptorError) return err.issues;
    throw err;
  }
  throw new Error('accepted');
};

describe('parseDescriptor', () => {
  test('accepts yaml text and objects alike', () => {
    const y = 'name: v\nclusters:\n  - name: a\n    nodes: 2\n    app: { version: v1, command: node, port: 80 }\n';
    expect(parseDescriptor(y).clusters[0].nodes).toBe(2);
  });

  test('names the field of every schema violation', () => {
    const got = issues(vnf([{ name: 'A b', nodes: -1, app: { ...app, port: 0 }, extra: 1 }]));
    expect(got.map((i) => i.field)).toEqual(expect.arrayContaining(['/clusters/0/name', '/clusters/0/nodes', '/clusters/0/app/port', '/clusters/0']));
    expect(got.find((i) => i.field === '/clusters/0')!.message).toMatch(/extra/);
  });

  test('refuses unknown dependencies, self dependencies and duplicates', () => {
    const got = issues(vnf([{ name: 'a', nodes: 1, app, dependsOn: ['zz'] }, { name: 'a', nodes: 1, app }, { name: 'b', nodes: 1, app, dependsOn: ['b'] }]));
    expect(got).toEqual(
      expect.arrayContaining([
        { field: '/clusters/0/dependsOn/0', message: 'unknown cluster zz' },
        { field: '/clusters/1/name', message: 'duplicate cluster name a' },
        { field: '/clusters/2/dependsOn/0', message: 'a cluster cannot depend on itself' },
      ]),
    );
  });

  test('names a cycle', () => {
    const got = issues(vnf([{ name: 'a', nodes: 1, app, dependsOn: ['c'] }, { name: 'b', nodes: 1, app, dependsOn: ['a'] }, { name: 'c', nodes: 1, app, dependsOn: ['b'] }]));
    expect(got[0].message).toBe('dependency cycle: a -> c -> b -> a');
  });

  test('refuses a node count outside min..max', () => {
    const got = issues(vnf([{ name: 'a', nodes: 5, min: 1, max: 3, app }]));
    expect(got).toEqual([{ field: '/clusters/0/nodes', message: 'node count 5 is outside 1..3' }]);
  });

  test('refuses a cluster name every object has, a version with blanks, and nesting too deep to measure', () => {
    expect(issues(vnf([{ name: 'constructor', nodes: 1, app }]))).toEqual([{ field: '/clusters/0/name', message: 'cluster name constructor is reserved' }]);
    expect(issues(vnf([{ name: 'a', nodes: 1, app: { ...app, version: 'v 2' } }]))).toEqual([expect.objectContaining({ field: '/clusters/0/app/version' })]);
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(issues(vnf([{ name: 'a', nodes: 1, app: { ...app, env: { a: deep } } }]))).toEqual([{ field: '/', message: 'nested too deeply' }]);
  });

  test('reports bad yaml as a descriptor error', () => {
    expect(issues('name: [')[0].message).toMatch(/not valid yaml/);
  });
});

describe('deploymentOrder', () => {
  test('puts providers before clients in a diamond, keeping the file order otherwise', () => {
    const d = parseDescriptor(
      vnf([
        { name: 'edge', nodes: 1, app, dependsOn: ['cache', 'search'] },
        { name: 'search', nodes: 1, app, dependsOn: ['db'] },
        { name: 'db', nodes: 1, app },
        { name: 'cache', nodes: 1, app, dependsOn: ['db'] },
      ]),
    ) as VnfDescriptor;
    expect(deploymentOrder(d).map((c) => c.name)).toEqual(['db', 'search', 'cache', 'edge']);
    expect(clientsOf(d, 'db').map((c) => c.name)).toEqual(['search', 'cache']);
  });
});
