import { Agent, Lifecycle, Query } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { count, diagram, fits } from './support/seqcheck.js';
import { hostProcesses, httpGet, System } from './support/system.js';

const sys = new System(49);
beforeAll(async () => {
  await sys.start();
  expect((await sys.deploy(example('web', (d) => (d.clusters[1].nodes = 1)))).state).toBe('COMPLETED');
}, 90_000);
afterAll(() => sys.stop(), 60_000);

/** The next healing operation the VNFM asked for on its own, once it ended. */
const healedByVnfm = async (node: string) => sys.waitOp((await sys.healingOf('web', node, { timeoutMs: 30_000, everyMs: 100 })).id);

async function expectServingOnlyOn(nodes: string[]) {
  const v = await sys.vnf('web');
  const f = v.nodes.frontend[0];
  const ups = ((await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string }[]).map((u) => u.node).sort();
  expect(ups).toEqual([...nodes].sort());
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const r = await httpGet(`http://${f.address}:${f.port}/`);
    expect(r.status).toBe(200);
    seen.add(r.body.node);
  }
  expect([...seen].sort()).toEqual([...nodes].sort());
}

function kill(pid: number) {
  process.kill(pid, 'SIGKILL');
}

test.each([
  ['its application', false],
  ['the whole virtual host (agent and application)', true],
])('kill -9 of %s: the VNFM asks for healing, the node is replaced, the trace fits healing.wsd', async (_what, wholeHost) => {
  const before = await sys.vnf('web');
  const victim = before.nodes.backend[1].node;
  const host = (await sys.hosts()).find((h) => h.node === victim)!;
  const status = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, victim), {});
  kill(status.app.pid!);
  if (wholeHost) kill(host.pid!);

  const op = await healedByVnfm(victim);
  expect(op).toMatchObject({ state: 'COMPLETED', requestedBy: 'VNFM' });

  const after = await sys.vnf('web');
  const backends = after.nodes.backend.map((n) => n.node);
  expect(backends).toHaveLength(3);
  expect(backends).not.toContain(victim);
  await expectServingOnlyOn(backends);
  expect((await sys.hosts()).map((h) => h.node)).not.toContain(victim);
  expect(hostProcesses(sys.dir).apps).not.toContain(victim);

  const wsd = await sys.trace(op.id);
  expect(fits(diagram('healing'), wsd)).toMatchObject({ ok: true });
  expect(wsd).toContain('VNFM->AO: request healing');
  expect(wsd.trimEnd().split('\n').slice(-2)).toEqual(['AO->DevOps: notify', 'AO->VNFM: notify']);
  expect(count(wsd, 'AO->+VIM:activate new virtual host')).toBe(1);
});

test('healing asked by DevOps replaces a live node, and a node being healed is not healed twice', async () => {
  const v = await sys.vnf('web');
  const node = v.nodes.frontend[0].node;
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.heal, { vnf: 'web', node });
  const again = await sys.raw(Lifecycle.Subject.heal, { vnf: 'web', node });
  expect(again.error).toMatchObject({ err_code: 'conflict', details: { op: r.op } });
  const op = await sys.waitOp(r.op);
  expect(op).toMatchObject({ state: 'COMPLETED', requestedBy: 'DevOps' });
  const wsd = await sys.trace(op.id);
  expect(fits(diagram('healing'), wsd)).toMatchObject({ ok: true });
  expect(wsd).not.toContain('AO->VNFM: notify');
  // the frontend has no clients: no reconfigure client arrow at all
  expect(count(wsd, 'reconfigure client')).toBe(0);
  const { ops } = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' });
  expect(ops.filter((o) => o.algorithm === 'healing' && o.params.node === node)).toHaveLength(1);
});
