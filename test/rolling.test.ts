import { Agent, Lifecycle, Query, StepRef, Trace, type Descriptor, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { Load, type Sample } from './support/load.js';
import { count, diagram, fits } from './support/seqcheck.js';
import { hostProcesses, System } from './support/system.js';

const sys = new System(51);
const version = (a: Descriptor.AppSpec, v: string, env?: Record<string, string>): Descriptor.AppSpec => ({ ...a, version: v, ...(env ? { env } : {}) });

beforeAll(async () => {
  await sys.start();
  const d = example('web', (d) => {
    const [b, f] = d.clusters;
    b.versions = [version(b.app, 'v2'), version(b.app, 'v3', { BACKEND_UNHEALTHY: '1' })];
    b.health = { ...b.health!, timeoutMs: 1500 };
    f.nodes = 1;
    f.versions = [version(f.app, 'v2')];
  });
  expect((await sys.deploy(d)).state).toBe('COMPLETED');
}, 90_000);
afterAll(() => sys.stop(), 60_000);

async function underLoad(subject: string, body: object): Promise<{ op: Records.OpRecord; samples: Sample[] }> {
  const v = await sys.vnf('web');
  const load = new Load(() => v.nodes.frontend.map((n) => `http://${n.address}:${n.port}/`), 4, 120_000, 5);
  await new Promise((r) => setTimeout(r, 300));
  const r = await sys.req<Lifecycle.Reply>(subject, body);
  const op = await sys.waitOp(r.op);
  await new Promise((r) => setTimeout(r, 300));
  return { op, samples: await load.stop() };
}

/** No host, agent or application beyond the nodes the VNF record lists. */
async function expectNothingLeaked() {
  const v = await sys.vnf('web');
  const nodes = Object.values(v.nodes)
    .flat()
    .map((n) => n.node)
    .sort();
  expect((await sys.hosts()).map((h) => h.node).sort()).toEqual(nodes);
  expect(hostProcesses(sys.dir)).toEqual({ agents: nodes, apps: nodes });
}

test('upgrading the backend from v1 to v2 under load: no failed request, answers switch to v2, no v1 left', async () => {
  const { op, samples } = await underLoad(Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', version: 'v2' });
  expect(op.state).toBe('COMPLETED');
  expect(samples.length).toBeGreaterThan(200);
  expect(Load.failures(samples)).toEqual([]);
  expect(samples[0].version).toBe('v1');
  expect(samples.slice(-20).map((s) => s.version)).toEqual(Array(20).fill('v2'));

  const v = await sys.vnf('web');
  expect(v.nodes.backend.map((n) => n.version)).toEqual(['v2', 'v2', 'v2']);
  for (const n of v.nodes.backend) expect((await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {})).app.version).toBe('v2');
  expect(v.descriptor.clusters[0].app.version).toBe('v2');
  await expectNothingLeaked();

  const wsd = await sys.trace(op.id);
  expect(fits(diagram('upgrade'), wsd)).toMatchObject({ ok: true });
  expect(count(wsd, 'AO->+VIM:activate new virtual host')).toBe(3);
  expect(count(wsd, 'AO->+VIM:remove old virtual host')).toBe(3);
  upgradeOp = op.id;
});

let upgradeOp: string;

test("an old node's host is removed while the next new node joins, and read where the diagram has it (ADR 33)", async () => {
  const raw = await sys.traceEntries(upgradeOp);
  const step = (key: string) => StepRef.of(upgradeOp, key);
  const at = (key: string, label: string, act: '+' | '-') => raw.findIndex((e) => e.step === step(key) && e.label === label && e.act === act);
  // each old host's removal is placed where it starts, before its own arrows
  for (const i of [1, 2, 3]) {
    const placed = raw.findIndex((e) => e.place === step(`${i}/old/host`));
    expect(placed).toBeGreaterThanOrEqual(0);
    expect(placed).toBeLessThan(at(`${i}/old/host`, 'remove old virtual host', '+'));
  }
  // by time, the next new node's application is asked for before the old host's removal has
  // answered; for at least one of the two (a removal that answers within a few milliseconds may win)
  const overlapped = [1, 2].filter((i) => at(`${i + 1}/new/app`, 'activate application', '+') < at(`${i}/old/host`, 'notify', '-'));
  expect(overlapped.length).toBeGreaterThan(0);
  // in reading order the removal's six arrows come together, after its node's application is destroyed
  const read = Trace.inReadingOrder(raw);
  for (const i of [1, 2, 3]) {
    const first = read.findIndex((e) => e.step === step(`${i}/old/host`));
    expect(read[first - 1]).toMatchObject({ from: 'AO', to: 'DevOps', step: step(`${i}/old/app/notify`) });
    expect(read.slice(first, first + 7).map((e) => `${e.from}->${e.act}${e.to}: ${e.label}`)).toEqual([
      'AO->+VIM: remove old virtual host',
      'VIM->+VNF: stop virtual host',
      'VNF->-VIM: ',
      'VIM->+VNF: destroy virtual host',
      'VNF->-VIM: ',
      'VIM->-AO: notify',
      'AO->DevOps: notify',
    ]);
  }
});

test('upgrading the frontend (a cluster of one, with no clients) fits upgrade.wsd too', async () => {
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'frontend', version: 'v2' });
  const op = await sys.waitOp(r.op);
  expect(op.state).toBe('COMPLETED');
  const wsd = await sys.trace(op.id);
  expect(fits(diagram('upgrade'), wsd)).toMatchObject({ ok: true });
  expect(count(wsd, 'reconfigure client')).toBe(0);
  expect((await sys.vnf('web')).nodes.frontend.map((n) => n.version)).toEqual(['v2']);
  await expectNothingLeaked();
});

test('migrating the backend to another zone under load: no failed request, every node in the new zone', async () => {
  const before = await sys.vnf('web');
  const { op, samples } = await underLoad(Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone: 'edge' });
  expect(op.state).toBe('COMPLETED');
  expect(Load.failures(samples)).toEqual([]);
  const v = await sys.vnf('web');
  expect(v.nodes.backend).toHaveLength(3);
  for (const n of v.nodes.backend) {
    expect(n.zone).toBe('edge');
    expect(Number(n.address.split('.')[2])).toBeGreaterThanOrEqual(128);
  }
  const old = before.nodes.backend.map((n) => n.node);
  expect((await sys.hosts()).filter((h) => old.includes(h.node))).toEqual([]);
  await expectNothingLeaked();
  expect(fits(diagram('migrate'), await sys.trace(op.id))).toMatchObject({ ok: true });
});

test('migrating a cluster of one (the frontend) fits migrate.wsd too', async () => {
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'frontend', zone: 'edge' });
  const op = await sys.waitOp(r.op);
  expect(op.state).toBe('COMPLETED');
  const wsd = await sys.trace(op.id);
  expect(fits(diagram('migrate'), wsd)).toMatchObject({ ok: true });
  expect(count(wsd, 'AO->+VIM:activate new virtual host')).toBe(1);
  const v = await sys.vnf('web');
  expect(v.nodes.frontend.map((n) => [n.zone, n.version])).toEqual([['edge', 'v2']]);
  await expectNothingLeaked();
});

test('a v3 that never becomes healthy: the upgrade stops and rolls back, the cluster keeps serving, nothing leaks', async () => {
  const events = sys.events('web');
  const before = await sys.vnf('web');
  const { op, samples } = await underLoad(Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', version: 'v3' });
  expect(op.state).toBe('ROLLED_BACK');
  expect(op.error).toMatchObject({ err_code: 'step_failed', description: expect.stringMatching(/healthy/) });
  expect(Load.failures(samples)).toEqual([]);
  const v = await sys.vnf('web');
  expect(v.nodes.backend.map((n) => n.node)).toEqual(before.nodes.backend.map((n) => n.node));
  expect(v.nodes.backend.map((n) => n.version)).toEqual(['v2', 'v2', 'v2']);
  expect(v.activeOp).toBeUndefined();
  await expectNothingLeaked();
  const states = events.filter((e) => e.op === op.id && e.step === 'operation').map((e) => e.state);
  expect(states).toEqual(expect.arrayContaining(['ROLLING_BACK', 'ROLLED_BACK']));
  expect(events.find((e) => e.op === op.id && e.state === 'ROLLING_BACK')!.error!.description).toMatch(/healthy/);
  // the undo removes every new node (the next one's host too, when it was activated ahead of
  // its turn: ADR 25): their hosts are not called the old ones'
  const old = new Set(before.nodes.backend.map((n) => n.node));
  const made = op.steps.filter((s) => s.label === 'choose node id').map((s) => s.result as string);
  expect(made.length).toBeGreaterThanOrEqual(1);
  const removed = (label: string) => events.filter((e) => e.op === op.id && e.step === label).map((e) => e.node!);
  expect(
    removed('remove virtual host')
      .filter((n) => !old.has(n))
      .sort(),
  ).toEqual([...made].sort());
  expect(removed('remove old virtual host').filter((n) => !old.has(n))).toEqual([]);
});

test('bad versions and zones get a structured error and change nothing', async () => {
  const before = await sys.hosts();
  const ops = (await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length;
  const cases = [
    [Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', version: 'v9' }, 'not_found', /unknown version v9/],
    [Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', version: 'v2' }, 'invalid_request', /runs v2 already/],
    [Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend' }, 'invalid_request', /target version/],
    [Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', app: { version: 'v4', command: 'node', port: 9999 } }, 'invalid_descriptor', /port/],
    [Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone: 'mars' }, 'not_found', /unknown zone mars/],
    [Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone: 'edge' }, 'invalid_request', /in zone edge already/],
    [Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone: 'Bad Zone' }, 'invalid_request', /zone/],
    // the diagrams have no VNFM request for these
    [Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', version: 'v1', requestedBy: 'VNFM' }, 'invalid_request', /requestedBy/],
    [Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone: 'local', requestedBy: 'VNFM' }, 'invalid_request', /requestedBy/],
  ] as const;
  for (const [subject, body, code, text] of cases) {
    const r = await sys.raw(subject, body);
    expect({ body, error: r.error }).toMatchObject({ body, error: { err_code: code } });
    expect(r.error.description).toMatch(text);
  }
  expect(await sys.hosts()).toEqual(before);
  expect((await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length).toBe(ops);
});
