import { join } from 'node:path';
import { Deploy, MAX_REQUEST_BYTES, Query, Vim } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { ROOT, System } from './support/system.js';

// the examples' folder is the only application root here: every other absolute cwd is outside
const EXAMPLES = join(ROOT, 'examples');
const sys = new System(42, { VNF_APP_ROOTS: EXAMPLES });
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

/** Nothing may exist after a refused request: no VNF record, no operation, no host. */
async function expectNothingCreated() {
  expect((await sys.req<Query.VnfListReply>(Query.Subject.vnfList, {})).vnfs).toEqual([]);
  expect((await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops).toEqual([]);
  expect(await sys.hosts()).toEqual([]);
}

/** What there is: VNF records, operations, hosts; a refused request must leave it as it was. */
async function everything() {
  return {
    vnfs: (await sys.req<Query.VnfListReply>(Query.Subject.vnfList, {})).vnfs,
    ops: (await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops,
    hosts: await sys.hosts(),
  };
}

/** The refusal of a deployment of `d`, after checking that it changed nothing. */
async function refusedDeploy(d: unknown) {
  const before = await everything();
  const r = await sys.raw(Deploy.Subject, { descriptor: d });
  expect(r.error).toBeDefined();
  expect(await everything()).toEqual(before);
  return r.error;
}

describe('a raw NATS client', () => {
  test('gets a structured error for invalid json', async () => {
    const r = await sys.raw(Deploy.Subject, '{"descriptor": ');
    expect(r).toEqual({ error: { code: 400, err_code: 'invalid_json', description: expect.stringMatching(/not json/) } });
    await expectNothingCreated();
  });

  test('gets a structured error for a request that is not the contract', async () => {
    const r = await sys.raw(Deploy.Subject, { descriptr: {} });
    expect(r.error).toMatchObject({ code: 400, err_code: 'invalid_request' });
    expect(r.error.details.issues.map((i: { field: string }) => i.field)).toEqual(expect.arrayContaining(['/descriptr', '/descriptor']));
    await expectNothingCreated();
  });

  test('gets the schema violations of a descriptor, each naming its field', async () => {
    const d = example('web', (d) => {
      (d.clusters[0] as { nodes: unknown }).nodes = 'three';
      d.clusters[1].app.port = 70000;
    });
    const r = await sys.raw(Deploy.Subject, { descriptor: d });
    expect(r.error).toMatchObject({ code: 422, err_code: 'invalid_descriptor' });
    const fields = r.error.details.issues.map((i: { field: string }) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['/clusters/0/nodes', '/clusters/1/app/port']));
    await expectNothingCreated();
  });

  test('gets the cycle named', async () => {
    const d = example('web', (d) => (d.clusters[0].dependsOn = ['frontend']));
    const r = await sys.raw(Deploy.Subject, { descriptor: d });
    expect(r.error).toMatchObject({
      err_code: 'invalid_descriptor',
      description: expect.stringMatching(/cycle: (backend -> frontend -> backend|frontend -> backend -> frontend)/),
    });
    await expectNothingCreated();
  });

  test('gets unknown dependencies and duplicate names refused', async () => {
    const d = example('web', (d) => {
      d.clusters[1].dependsOn = ['database'];
      d.clusters.push({ ...d.clusters[0] });
    });
    const r = await sys.raw(Deploy.Subject, { descriptor: d });
    expect(r.error.err_code).toBe('invalid_descriptor');
    expect(r.error.details.issues).toEqual(
      expect.arrayContaining([
        { field: '/clusters/1/dependsOn/0', message: 'unknown cluster database' },
        { field: '/clusters/2/name', message: 'duplicate cluster name backend' },
      ]),
    );
    await expectNothingCreated();
  });

  test('gets an oversize payload refused before it is parsed', async () => {
    const d = example('web', (d) => (d.description = 'x'.repeat(MAX_REQUEST_BYTES)));
    const r = await sys.raw(Deploy.Subject, { descriptor: d });
    expect(r.error).toMatchObject({ code: 413, err_code: 'payload_too_large' });
    await expectNothingCreated();
  });

  test('gets a small yaml text that aliases expand past the size limit refused, naming the limit', async () => {
    const yaml = `description: &a "${'x'.repeat(60_000)}"\nname: bomb\nclusters: [*a, *a, *a, *a, *a]\n`;
    expect(yaml.length).toBeLessThan(MAX_REQUEST_BYTES);
    const r = await sys.raw(Deploy.Subject, { descriptor: yaml });
    expect(r.error).toMatchObject({ err_code: 'invalid_descriptor', description: expect.stringMatching(/is \d+ bytes as JSON, over the limit of 65536/) });
    await expectNothingCreated();
  });

  test('can send the descriptor as yaml text and gets a plain json reply', async () => {
    const yaml = `name: tiny\nclusters:\n  - name: web-api\n    nodes: 1\n    app: { version: v1, command: ${process.execPath}, args: [${example('web').clusters[0].app.cwd}/backend.mjs], port: 8080 }\n    health: { http: /health }\n`;
    const r = await sys.raw(Deploy.Subject, { descriptor: yaml });
    expect(r).toEqual({ op: expect.any(String), vnf: 'tiny', state: 'STARTING', created: true, message: expect.any(String) });
    expect((await sys.waitOp(r.op)).state).toBe('COMPLETED');
  });

  test("gets a vnf refused whose node ids would be another vnf's, and nothing of it is created", async () => {
    // tiny/web-api names its nodes tiny-web-api-<n>; so would tiny-web/api
    const before = await sys.req<Query.OpListReply>(Query.Subject.opList, {});
    const yaml = `name: tiny-web\nclusters:\n  - name: api\n    nodes: 1\n    app: { version: v1, command: ${process.execPath}, args: [${example('web').clusters[0].app.cwd}/backend.mjs], port: 8080 }\n    health: { http: /health }\n`;
    const r = await sys.raw(Deploy.Subject, { descriptor: yaml });
    expect(r.error).toMatchObject({
      code: 409,
      err_code: 'conflict',
      description: expect.stringMatching(/tiny-web\/api .* tiny\/web-api's \(tiny-web-api-<n>\)/),
    });
    expect((await sys.req<Query.VnfListReply>(Query.Subject.vnfList, {})).vnfs.map((v) => v.name)).toEqual(['tiny']);
    expect(await sys.req<Query.OpListReply>(Query.Subject.opList, {})).toEqual(before);
    expect((await sys.hosts()).map((h) => h.node)).toEqual(['tiny-web-api-1']);
  });
  test('two vnfs whose node ids would meet, asked at the same moment: never both deployed', async () => {
    const yaml = (name: string, cluster: string) =>
      `name: ${name}\nclusters:\n  - name: ${cluster}\n    nodes: 1\n    app: { version: v1, command: ${process.execPath}, args: [${example('web').clusters[0].app.cwd}/backend.mjs], port: 8080 }\n    health: { http: /health }\n`;
    const replies = await Promise.all([
      sys.raw(Deploy.Subject, { descriptor: yaml('race', 'b-c') }),
      sys.raw(Deploy.Subject, { descriptor: yaml('race-b', 'c') }),
    ]);
    const started = replies.filter((r) => r.created);
    expect(started.length).toBeLessThanOrEqual(1);
    for (const r of replies.filter((r) => !r.created)) expect(r.error).toMatchObject({ err_code: 'conflict' });
    for (const r of started) expect((await sys.waitOp(r.op)).state).toBe('COMPLETED');
    const names = (await sys.req<Query.VnfListReply>(Query.Subject.vnfList, {})).vnfs.map((v) => v.name);
    expect(names.filter((n) => n.startsWith('race'))).toEqual(started.map((r) => r.vnf));
  });
});

describe('what a descriptor may ask of a node', () => {
  test.each([
    ['/', 'outside every application root'],
    ['/etc', 'outside every application root'],
    ['../../../../etc', "may not contain '..'"],
    [join(ROOT, 'apps'), 'outside every application root'],
    [`${EXAMPLES}/../apps`, 'outside every application root'],
    [`${EXAMPLES}-other`, 'outside every application root'],
  ])('an application cwd of %s is refused as invalid_descriptor naming the field (%s)', async (cwd, why) => {
    const e = await refusedDeploy(example('web', (d) => (d.clusters[0].app.cwd = cwd)));
    expect(e).toEqual({
      code: 422,
      err_code: 'invalid_descriptor',
      description: expect.stringContaining('/clusters/0/app/cwd: '),
      details: { issues: [{ field: '/clusters/0/app/cwd', message: expect.stringContaining(why) }] },
    });
    expect(e.description).toContain(why);
  });

  test('so is one in a version an upgrade may name, or in any cluster', async () => {
    const e = await refusedDeploy(
      example('web', (d) => {
        d.clusters[0].versions![0].cwd = '/etc';
        d.clusters[1].app.cwd = '/tmp';
      }),
    );
    expect(e).toMatchObject({ err_code: 'invalid_descriptor' });
    expect(e.details.issues.map((i: { field: string }) => i.field)).toEqual(['/clusters/0/versions/0/cwd', '/clusters/1/app/cwd']);
  });

  test('a cwd inside the root, written with . and .., is accepted', async () => {
    const r = await sys.raw(Deploy.Subject, {
      descriptor: example('web', (d) => {
        d.name = 'rooted';
        for (const c of d.clusters) Object.assign(c, { nodes: 1, app: { ...c.app, cwd: `${EXAMPLES}/./apps/../apps` } });
      }),
    });
    expect(r).toMatchObject({ vnf: 'rooted', created: true });
    expect((await sys.waitOp(r.op)).state).toBe('COMPLETED');
  });

  test.each([
    [1, 'app', 'NODE_OPTIONS', '--require /tmp/evil.js'],
    [0, 'app', 'LD_PRELOAD', '/tmp/evil.so'],
    [0, 'versions/0', 'VNF_CONFIG', '/tmp/other.json'],
    [1, 'app', 'PATH', '/tmp/bin'],
  ])('setting the environment variable at /clusters/%i/%s/env/%s is refused as invalid_descriptor naming it', async (i, where, name, value) => {
    const e = await refusedDeploy(
      example('web', (d) => {
        const app = where === 'app' ? d.clusters[i].app : d.clusters[i].versions![0];
        app.env = { GREETING: 'hello', [name]: value };
      }),
    );
    const field = `/clusters/${i}/${where}/env/${name}`;
    expect(e).toEqual({
      code: 422,
      err_code: 'invalid_descriptor',
      description: expect.stringContaining(`${field}: environment variable ${name} may not be set`),
      details: { issues: [{ field, message: expect.stringMatching(/is reserved/) }] },
    });
  });

  test('a zone the VIM does not have is refused at the request, as migrate refuses it, naming the field', async () => {
    const e = await refusedDeploy(
      example('web', (d) => {
        d.name = 'moonbase';
        d.clusters[0].zone = 'edge';
        d.clusters[1].zone = 'moon';
      }),
    );
    expect(e).toEqual({
      code: 404,
      err_code: 'not_found',
      description: '/clusters/1/zone: unknown zone moon',
      details: { issues: [{ field: '/clusters/1/zone', message: 'unknown zone moon' }], zones: ['local', 'edge'] },
    });
    expect(await sys.raw(Query.Subject.vnfGet, { vnf: 'moonbase' })).toMatchObject({ error: { err_code: 'not_found' } });
  });
});

describe("the AO's reads refuse unknown fields like every other request", () => {
  test.each([
    [Query.Subject.vnfList, { vnf: 'web' }, '/vnf'],
    [Query.Subject.vnfList, { extra: 1 }, '/extra'],
    [Query.Subject.opList, { extra: 1 }, '/extra'],
    [Query.Subject.opList, { vnf: 'tiny', extra: 1 }, '/extra'],
    [Query.Subject.vnfGet, { vnf: 'tiny', extra: 1 }, '/extra'],
  ])('%s with %j is refused, naming %s', async (subject, body, field) => {
    expect(await sys.raw(subject, body)).toEqual({
      error: {
        code: 400,
        err_code: 'invalid_request',
        description: `${field}: property ${field.slice(1)} should not exist`,
        details: { issues: [{ field, message: `property ${field.slice(1)} should not exist` }] },
      },
    });
  });

  test('and answer as before without them', async () => {
    expect((await sys.req<Query.VnfListReply>(Query.Subject.vnfList, {})).vnfs.length).toBeGreaterThan(0);
    expect((await sys.req<Query.VnfGetReply>(Query.Subject.vnfGet, { vnf: 'tiny' })).vnf.name).toBe('tiny');
    expect(Array.isArray((await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'tiny' })).ops)).toBe(true);
  });
});
