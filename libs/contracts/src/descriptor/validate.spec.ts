import { appOnHost, clientsOf, deploymentOrder, DescriptorError, MAX_DESCRIPTOR_BYTES, MAX_VNF_NODES, parseDescriptor } from './validate.js';
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

  test('a cluster may give each node CPU and memory limits; nonsense is refused naming the field', () => {
    expect(parseDescriptor(vnf([{ name: 'a', nodes: 1, app, resources: { cpus: 0.5, memoryMiB: 128 } }])).clusters[0].resources).toEqual({
      cpus: 0.5,
      memoryMiB: 128,
    });
    const got = issues(vnf([{ name: 'a', nodes: 1, app, resources: { cpus: 0, memoryMiB: 2, gpus: 1 } }]));
    expect(got.map((i) => i.field)).toEqual(expect.arrayContaining(['/clusters/0/resources/cpus', '/clusters/0/resources/memoryMiB', '/clusters/0/resources']));
  });

  test('refuses unknown dependencies, self dependencies and duplicates', () => {
    const got = issues(
      vnf([
        { name: 'a', nodes: 1, app, dependsOn: ['zz'] },
        { name: 'a', nodes: 1, app },
        { name: 'b', nodes: 1, app, dependsOn: ['b'] },
      ]),
    );
    expect(got).toEqual(
      expect.arrayContaining([
        { field: '/clusters/0/dependsOn/0', message: 'unknown cluster zz' },
        { field: '/clusters/1/name', message: 'duplicate cluster name a' },
        { field: '/clusters/2/dependsOn/0', message: 'a cluster cannot depend on itself' },
      ]),
    );
  });

  test('names a cycle', () => {
    const got = issues(
      vnf([
        { name: 'a', nodes: 1, app, dependsOn: ['c'] },
        { name: 'b', nodes: 1, app, dependsOn: ['a'] },
        { name: 'c', nodes: 1, app, dependsOn: ['b'] },
      ]),
    );
    expect(got[0].message).toBe('dependency cycle: a -> c -> b -> a');
  });

  test('refuses a node count outside min..max', () => {
    const got = issues(vnf([{ name: 'a', nodes: 5, min: 1, max: 3, app }]));
    expect(got).toEqual([{ field: '/clusters/0/nodes', message: 'node count 5 is outside 1..3' }]);
  });

  test('refuses more nodes in all than MAX_VNF_NODES, and a descriptor over MAX_DESCRIPTOR_BYTES of JSON', () => {
    const three = (n: number) => vnf(['a', 'b', 'c'].map((name) => ({ name, nodes: n, app })));
    expect(parseDescriptor(three(MAX_VNF_NODES / 4))).toBeDefined();
    expect(issues(three(1000))).toEqual([{ field: '/clusters', message: `3000 nodes in all, over the limit of ${MAX_VNF_NODES} a VNF (MAX_VNF_NODES)` }]);
    const d = { name: 'v', clusters: [{ name: 'a', nodes: 1, app: { ...app, env: { PAD: '' } } }] };
    d.clusters[0].app.env.PAD = 'x'.repeat(MAX_DESCRIPTOR_BYTES - JSON.stringify(d).length);
    expect(parseDescriptor(d)).toBeDefined();
    d.clusters[0].app.env.PAD += 'é';
    expect(issues(d)).toEqual([
      { field: '/', message: `is ${MAX_DESCRIPTOR_BYTES + 2} bytes as JSON, over the limit of ${MAX_DESCRIPTOR_BYTES} (MAX_DESCRIPTOR_BYTES)` },
    ]);
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

describe('an application image and how a docker host runs it', () => {
  test.each(['vnf-lcm/examples:latest', 'vnf-lcm/examples', 'busybox', 'my.org/app_x/web:v1.2-rc', `vnf-lcm/examples@sha256:${'a'.repeat(64)}`])(
    'image %s is accepted',
    (image) => {
      expect(parseDescriptor(vnf([{ name: 'a', nodes: 1, app: { ...app, image } }])).clusters[0].app.image).toBe(image);
    },
  );

  test.each(['Not An Image', 'VNF/x', '', ':latest', 'localhost:5000/x:1', 'x:', 'x:-bad', '-x', 'x@sha256:123'])(
    'image %j is refused, naming the field',
    (image) => {
      expect(issues(vnf([{ name: 'a', nodes: 1, app: { ...app, image } }]))).toEqual([expect.objectContaining({ field: '/clusters/0/app/image' })]);
    },
  );

  test('docker takes command, args and cwd only, and at least one of them', () => {
    const ok = { command: 'node', args: ['backend.mjs'], cwd: '/srv/examples/apps' };
    expect(
      parseDescriptor(vnf([{ name: 'a', nodes: 1, app: { ...app, docker: ok }, versions: [{ ...app, version: 'v2', docker: { cwd: '/x' } }] }])).clusters[0].app
        .docker,
    ).toEqual(ok);
    expect(issues(vnf([{ name: 'a', nodes: 1, app: { ...app, docker: { env: {} } } }]))).toEqual([
      { field: '/clusters/0/app/docker', message: expect.stringMatching(/additional properties \(env\)/) },
    ]);
    expect(issues(vnf([{ name: 'a', nodes: 1, app: { ...app, docker: {} } }]))).toEqual([expect.objectContaining({ field: '/clusters/0/app/docker' })]);
    expect(issues(vnf([{ name: 'a', nodes: 1, app: { ...app, docker: { cwd: '' } } }]))).toEqual([
      expect.objectContaining({ field: '/clusters/0/app/docker/cwd' }),
    ]);
  });

  test("appOnHost: a docker host runs docker's command, args and cwd; any other host the app's own; neither sees the block", () => {
    const a = { ...app, cwd: '/work/examples/apps', image: 'vnf-lcm/examples:latest', docker: { cwd: '/srv/examples/apps', args: ['b.mjs'] } };
    expect(appOnHost(a, 'docker')).toEqual({ ...app, args: ['b.mjs'], cwd: '/srv/examples/apps', image: 'vnf-lcm/examples:latest' });
    expect(appOnHost(a, 'process')).toEqual({ ...app, cwd: '/work/examples/apps', image: 'vnf-lcm/examples:latest' });
    expect(appOnHost({ ...app, docker: { command: '/usr/bin/node' } }, 'docker')).toEqual({ ...app, command: '/usr/bin/node' });
    expect(appOnHost(app, 'docker')).toEqual(app);
    expect(a.docker).toEqual({ cwd: '/srv/examples/apps', args: ['b.mjs'] }); // not changed
  });
});
