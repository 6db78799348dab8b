import { Agent, Lifecycle, Query, Vnfm, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { Load } from './support/load.js';
import { count, diagram, fits } from './support/seqcheck.js';
import { httpGet, System } from './support/system.js';

const sys = new System(48);
beforeAll(async () => {
  await sys.start();
  expect((await sys.deploy(example('web'))).state).toBe('COMPLETED');
}, 90_000);
afterAll(() => sys.stop(), 60_000);

const frontendUrls = (v: Records.VnfRecord) => v.nodes.frontend.map((n) => `http://${n.address}:${n.port}/`);

async function run(subject: string, body: object): Promise<Records.OpRecord> {
  const r = await sys.req<Lifecycle.Reply>(subject, body);
  return sys.waitOp(r.op);
}

async function upstreamsOf(v: Records.VnfRecord): Promise<string[][]> {
  return Promise.all(
    v.nodes.frontend.map(async (f) => ((await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string }[]).map((u) => u.node).sort()),
  );
}

describe('scale-out', () => {
  test('by two: new backends serve through every frontend, and the trace fits scale-out.wsd', async () => {
    const r = await run(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 2 });
    expect(r.state).toBe('COMPLETED');
    const v = await sys.vnf('web');
    expect(v.nodes.backend).toHaveLength(5);
    const backends = v.nodes.backend.map((n) => n.node).sort();
    for (const ups of await upstreamsOf(v)) expect(ups).toEqual(backends);
    const wsd = await sys.trace(r.id);
    expect(fits(diagram('scale-out'), wsd)).toMatchObject({ ok: true });
    expect(count(wsd, 'AO->+VIM:activate virtual host')).toBe(2);
    expect(count(wsd, 'AO->+VNFM:reconfigure client')).toBe(2);
    expect(wsd).not.toContain('AO->VNFM: notify');
  });

  test('of a cluster without clients fits too', async () => {
    const r = await run(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'frontend', nodes: 3 });
    expect(r.state).toBe('COMPLETED');
    expect(fits(diagram('scale-out'), await sys.trace(r.id))).toMatchObject({ ok: true });
    expect((await sys.vnf('web')).nodes.frontend).toHaveLength(3);
  });
});

describe('scale-in', () => {
  test('of the backend under load: no failed request, and a removed node gets nothing after its removal', async () => {
    const v = await sys.vnf('web');
    const load = new Load(() => frontendUrls(v), 4, 60_000, 5);
    await new Promise((r) => setTimeout(r, 500));
    const r = await run(Lifecycle.Subject.scaleIn, { vnf: 'web', cluster: 'backend', nodes: 2 });
    await new Promise((r) => setTimeout(r, 500));
    const samples = await load.stop();
    expect(r.state).toBe('COMPLETED');
    expect(samples.length).toBeGreaterThan(200);
    expect(Load.failures(samples)).toEqual([]);

    const after = await sys.vnf('web');
    expect(after.nodes.backend).toHaveLength(2);
    const removed = v.nodes.backend.map((n) => n.node).filter((n) => !after.nodes.backend.some((x) => x.node === n));
    expect(removed).toHaveLength(3);
    // the newest leave first; each left once its clients were told
    for (const node of removed) {
      const told = r.steps.find((s) => s.label === 'reconfigure client' && s.node === node)!;
      expect(told).toBeDefined();
      const late = samples.filter((s) => s.upstream === node && s.start > Date.parse(told.at));
      expect(late).toEqual([]);
    }
    for (const ups of await upstreamsOf(after)) expect(ups).toEqual(after.nodes.backend.map((n) => n.node).sort());
    expect((await sys.hosts()).filter((h) => removed.includes(h.node))).toEqual([]);

    const wsd = await sys.trace(r.id);
    expect(fits(diagram('scale-in'), wsd)).toMatchObject({ ok: true });
    expect(count(wsd, 'AO->+VIM:remove virtual host')).toBe(3);
  });

  test('of a cluster without clients, one node, fits scale-in.wsd', async () => {
    // an explicit null is no requester: DevOps asked
    const r = await run(Lifecycle.Subject.scaleIn, { vnf: 'web', cluster: 'frontend', by: 1, requestedBy: null });
    expect(r.state).toBe('COMPLETED');
    expect(r.requestedBy).toBe('DevOps');
    const wsd = await sys.trace(r.id);
    expect(fits(diagram('scale-in'), wsd)).toMatchObject({ ok: true });
    expect(count(wsd, 'reconfigure client')).toBe(0);
    expect((await sys.vnf('web')).nodes.frontend).toHaveLength(2);
  });

  test('never below the minimum, never above the maximum, nothing for bad targets', async () => {
    const bad = [
      [Lifecycle.Subject.scaleIn, { vnf: 'web', cluster: 'backend', nodes: 0 }, 'invalid_request', /below the minimum/],
      [Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', nodes: 9 }, 'invalid_request', /above the maximum/],
      [Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'nope', by: 1 }, 'not_found', /unknown cluster/],
      [Lifecycle.Subject.scaleOut, { vnf: 'nope', cluster: 'backend', by: 1 }, 'not_found', /unknown vnf/],
      [Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 'two' }, 'invalid_request', /by/],
      [Lifecycle.Subject.heal, { vnf: 'web', node: 'web-backend-99' }, 'not_found', /unknown node/],
    ] as const;
    const before = await sys.hosts();
    const opsBefore = (await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length;
    for (const [subject, body, code, text] of bad) {
      const r = await sys.raw(subject, body);
      expect(r.error).toMatchObject({ err_code: code });
      expect(r.error.description).toMatch(text);
    }
    expect((await sys.hosts()).length).toBe(before.length);
    expect((await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length).toBe(opsBefore);
  });

  test('the VNFM stops no node of another cluster, whatever its internal subject is asked', async () => {
    const frontend = (await sys.vnf('web')).nodes.frontend[0];
    const r = await sys.raw(Vnfm.Subject.appDestroy, { vnf: 'web', cluster: 'backend', node: frontend.node });
    expect(r.error).toMatchObject({ err_code: 'invalid_request', description: expect.stringMatching(/not a node of web\/backend/) });
    const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, frontend.node), {});
    expect(s.app.state).toBe('running');
  });

  test('internal subjects check descriptor parts field by field: a bad one changes nothing', async () => {
    const backend = (await sys.vnf('web')).nodes.backend[0];
    const bad = await sys.raw(Vnfm.Subject.clusterActivate, {
      vnf: 'web',
      spec: { name: 'rogue', nodes: 1, app: { version: 'v1', command: 'sh', port: 'http' } },
    });
    expect(bad.error).toMatchObject({ err_code: 'invalid_request', description: expect.stringMatching(/spec\/app\/port must be integer/) });
    const { clusters } = await sys.req<Vnfm.ClusterListReply>(Vnfm.Subject.clusterGet, { vnf: 'web' });
    expect(clusters.map((c) => c.name).sort()).toEqual(['backend', 'frontend']);
    const members = [{ node: backend.node, address: backend.address, port: -1 }];
    const r = await sys.raw(Agent.subject(Agent.Verb.clusterReconfigure, backend.node), { members });
    expect(r.error).toMatchObject({ err_code: 'invalid_request', description: expect.stringMatching(/\/members\/0\/port: must be >= 1/) });
    const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, backend.node), {});
    expect(s.members.length).toBeGreaterThan(1);
    // the VNFM's application activation: another cluster's node, an address no agent would
    // accept, an app on another port than its cluster's: each refused before anything is written
    const frontend = (await sys.vnf('web')).nodes.frontend[0];
    const app = { vnf: 'web', cluster: 'backend', node: 'web-backend-97', address: '127.48.0.97' };
    for (const [body, text] of [
      [{ ...app, node: frontend.node }, /not a node of web\/backend/],
      [{ ...app, address: 'f' }, /address/],
      [{ ...app, app: { version: 'v9', command: 'node', port: 9999 } }, /port 9999 differs/],
    ] as const) {
      const r = await sys.raw(Vnfm.Subject.appActivate, body);
      expect(r.error).toMatchObject({ err_code: 'invalid_request', description: expect.stringMatching(text) });
    }
    // a node no agent answers for: the create fails, and the node is not left behind half-made
    // (a scale-out naming it would have made it a member)
    const lost = await sys.raw(Vnfm.Subject.appActivate, app);
    expect(lost.error).toMatchObject({ err_code: 'unavailable' });
    const join = await sys.raw(Vnfm.Subject.clusterScaleOut, { vnf: 'web', cluster: 'backend', node: app.node });
    expect(join.error).toMatchObject({ err_code: 'not_found' });
    const after = await sys.req<Vnfm.ClusterListReply>(Vnfm.Subject.clusterGet, { vnf: 'web' });
    expect(after.clusters.flatMap((c) => c.nodes.map((n) => n.node))).not.toContain('web-backend-97');
    expect(after.clusters.flatMap((c) => c.members.map((m) => m.node))).not.toContain('web-backend-97');
    expect((await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, frontend.node), {})).cluster).toBe('frontend');
  });
});
