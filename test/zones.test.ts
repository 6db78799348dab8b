import { Deploy, Lifecycle, Query, Vim } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { diagram, fits } from './support/seqcheck.js';
import { httpGet, System } from './support/system.js';

/**
 * A VIM adapter per zone (ADR 26), as on a machine per zone: `vim-adapter-local` serves only the
 * zone local, `vim-adapter-edge` only edge, both on one NATS. The orchestrator names each host
 * request's zone; a zone whose adapter is gone fails its own operations, not the other's.
 */
const sys = new System(86, {}, { vimPerZone: true });
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

const hostsOf = async (zone: string, vnf: string) => (await sys.zoneHosts(zone)).filter((h) => h.vnf === vnf);

async function backendsAnswer(): Promise<void> {
  const v = await sys.vnf('web');
  const f = v.nodes.frontend[0];
  const res = await httpGet(`http://${f.address}:${f.port}/`);
  expect(res.status).toBe(200);
}

test('each adapter serves its own zone; any of them tells the zones there are', async () => {
  expect(await sys.req<Vim.ZoneListReply>(Vim.ZONE_LIST, {})).toEqual({ defaultZone: 'local', zones: ['local', 'edge'] });
  // $SRV discovery shows each adapter's zone subjects in its zone's queue group
  const groups: string[][] = [];
  for await (const m of await sys.nc.requestMany('$SRV.INFO.vim-adapter', '', { strategy: 'timer', maxWait: 1000 })) {
    const { endpoints } = m.json<{ endpoints: { subject: string; queue_group?: string }[] }>();
    groups.push([...new Set(endpoints.filter((e) => e.subject.startsWith('vnf.vim.host-')).map((e) => `${e.subject.split('.').pop()}:${e.queue_group}`))]);
  }
  expect(groups.sort()).toEqual([['edge:vim-adapter-edge'], ['local:vim-adapter-local']]);
  for (const zone of ['local', 'edge']) expect(await sys.zoneHosts(zone)).toEqual([]);
});

test('a VNF with a cluster in each zone deploys, each host in its own zone, and its trace fits deployment.wsd', async () => {
  // the backend names edge; the frontend names no zone and gets the default, written into the record
  const d = example('web', (x) => {
    x.clusters.find((c) => c.name === 'backend')!.zone = 'edge';
  });
  const op = await sys.deploy(d);
  expect(op.state).toBe('COMPLETED');
  const v = await sys.vnf('web');
  expect(Object.fromEntries(v.descriptor.clusters.map((c) => [c.name, c.zone]))).toEqual({ backend: 'edge', frontend: 'local' });
  expect(v.nodes.backend.map((n) => n.zone)).toEqual(['edge', 'edge', 'edge']);
  expect(v.nodes.frontend.map((n) => n.zone)).toEqual(['local', 'local']);
  expect((await hostsOf('edge', 'web')).map((h) => h.node).sort()).toEqual(v.nodes.backend.map((n) => n.node).sort());
  expect((await hostsOf('local', 'web')).map((h) => h.node).sort()).toEqual(v.nodes.frontend.map((n) => n.node).sort());
  // every zone's hosts, as teardown and the tests list them
  expect((await sys.hosts('web')).length).toBe(5);
  await backendsAnswer();
  const wsd = await sys.trace(op.id);
  const fit = fits(diagram('deployment'), wsd);
  expect(fit).toEqual({ ok: true, messages: fit.messages });
  // the same descriptor again is the same deployment, though its record now names the default zone
  const again = await sys.req(Deploy.Subject, { descriptor: d });
  expect(again).toMatchObject({ created: false, state: 'COMPLETED' });
});

test("a node's log is asked of its own zone's adapter", async () => {
  const v = await sys.vnf('web');
  for (const n of [v.nodes.backend[0], v.nodes.frontend[0]]) {
    const r = await sys.req<Query.NodeLogsReply>(Query.Subject.nodeLogs, { node: n.node, source: 'agent', tail: 5 });
    expect(r.node).toBe(n.node);
    expect(r.lines.length).toBeGreaterThan(0);
  }
});

test("kill -9 of the edge adapter: edge's operations fail clearly, local's go on; once it is back, the failed one completes", async () => {
  await sys.kill('vim-adapter-edge');
  await expect(sys.nc.request(Vim.subject(Vim.Verb.hostList, 'edge'), '{}', { timeout: 2_000 })).rejects.toThrow(/no responders/i);
  // every zone's list says which zone it lacks instead of leaving it out
  await expect(sys.hosts()).rejects.toThrow(/host-list\.edge/);

  const out = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'frontend', by: 1 });
  expect((await sys.waitOp(out.op)).state).toBe('COMPLETED');
  expect(await hostsOf('local', 'web')).toHaveLength(3);

  const edge = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 1 });
  const failed = await sys.waitOp(edge.op);
  expect(failed.state).toBe('FAILED_TEMP');
  expect(failed.error).toMatchObject({ err_code: 'unavailable', description: expect.stringContaining('vnf.vim.host-activate.edge') });
  // the zone's hosts and applications went on without their adapter
  await backendsAnswer();

  sys.startService('vim-adapter', 'vim-adapter-edge', { VIM_SERVE_ZONES: 'edge' });
  await sys.waitReady();
  await sys.req(Query.Action.retry, { op: edge.op });
  expect((await sys.waitOp(edge.op)).state).toBe('COMPLETED');
  const v = await sys.vnf('web');
  expect(v.nodes.backend.map((n) => n.zone)).toEqual(['edge', 'edge', 'edge', 'edge']);
  expect(await hostsOf('edge', 'web')).toHaveLength(4);
}, 120_000);

test('migrating the frontend from local to edge: new hosts from the edge adapter, the old ones removed by the local one', async () => {
  const before = (await sys.vnf('web')).nodes.frontend.map((n) => n.node);
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'frontend', zone: 'edge' });
  const op = await sys.waitOp(r.op);
  expect(op.state).toBe('COMPLETED');
  const v = await sys.vnf('web');
  expect(v.nodes.frontend.map((n) => n.zone)).toEqual(['edge', 'edge', 'edge']);
  expect(await hostsOf('local', 'web')).toEqual([]);
  expect((await hostsOf('edge', 'web')).map((h) => h.node)).not.toEqual(expect.arrayContaining(before));
  expect(await hostsOf('edge', 'web')).toHaveLength(7);
  await backendsAnswer();
  expect(fits(diagram('migrate'), await sys.trace(op.id))).toMatchObject({ ok: true });
}, 120_000);

test('a zone nobody knows is refused at deployment and migration, naming the field', async () => {
  const r = await sys.raw(Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone: 'mars' });
  expect(r.error).toMatchObject({ err_code: 'not_found', description: '/zone: unknown zone mars', details: { zones: ['local', 'edge'] } });
  const d = example('web', (x) => {
    x.name = 'moon';
    x.clusters[0].zone = 'moon';
  });
  const refused = await sys.raw(Deploy.Subject, { descriptor: d });
  expect(refused.error).toMatchObject({ err_code: 'not_found', details: { issues: [{ field: '/clusters/0/zone', message: 'unknown zone moon' }] } });
});
