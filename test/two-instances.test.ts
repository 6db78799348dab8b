import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Deploy, Lifecycle, Query, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { waitDead } from './support/procs.js';
import { diagram, fits, withoutRepeats } from './support/seqcheck.js';
import { hostProcesses, httpGet, System, type Service } from './support/system.js';

/**
 * Issue 12.6: two instances of every service at once, the orchestrators sharing operations by
 * leases, every service's requests shared in its queue group, the two VIM adapters of the same
 * zones on the same host folders. kill -9 of one of each in the middle of a deployment: the
 * others finish it, and no step is recorded twice.
 */
const sys = new System(74, { AO_LEASE_MS: '1200' }, { instances: 2 });
beforeAll(() => sys.start(), 90_000);
afterAll(() => sys.stop(), 60_000);

const descriptor = (name: string) =>
  example('web', (d) => {
    d.name = name;
    d.clusters[0].nodes = 3;
    d.clusters[1].nodes = 1;
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitSteps(op: string, n: number): Promise<Records.OpRecord> {
  for (;;) {
    const { op: r } = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op });
    if (r.steps.length >= n || !['STARTING', 'PROCESSING'].includes(r.state)) return r;
    await sleep(20);
  }
}

/** the instance of a service whose log names the operation (the one at work on it), else the first */
function busyInstance(s: Service, op: string): string {
  const keys = sys.keysOf(s);
  return keys.find((k) => readFileSync(join(sys.dir, `${k}.log`), 'utf8').includes(op)) ?? keys[0];
}

/** no step recorded twice: each step's key is its own */
const expectNoRepeatedStep = (op: Records.OpRecord) => expect(op.steps.map((s) => s.key).filter((k, i, all) => all.indexOf(k) !== i)).toEqual([]);

/** the VNF as an undisturbed deployment leaves it: every backend behind the frontend, one host, agent and application per node */
async function expectServing(name: string) {
  const v = await sys.vnf(name);
  expect(v.state).toBe('INSTANTIATED');
  expect(v.nodes.backend).toHaveLength(3);
  expect(v.nodes.frontend).toHaveLength(1);
  const backends = v.nodes.backend.map((n) => n.node).sort();
  const f = v.nodes.frontend[0];
  expect(((await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string }[]).map((u) => u.node).sort()).toEqual(backends);
  for (const n of v.nodes.backend)
    expect((await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {})).members.map((m) => m.node).sort()).toEqual(backends);
}

/** one host, agent and application per node, each host on its own address (the two VIM adapters share the zones' folders) */
async function expectClean() {
  const nodes = await sys.recordNodes();
  const hosts = await sys.hosts();
  expect(hosts.map((h) => h.node).sort()).toEqual(nodes);
  expect(hosts.map((h) => h.address).filter((a, i, all) => all.indexOf(a) !== i)).toEqual([]);
  expect(hostProcesses(sys.dir)).toEqual({ agents: nodes, apps: nodes });
}

/** the instances killed by the test before, started again; resolves once each says it started */
async function restartKilled() {
  const started = (k: string) => readFileSync(join(sys.dir, `${k}.log`), 'utf8').split('"msg":"service started"').length - 1;
  const again: [string, number][] = [];
  for (const s of ['orchestrator', 'vnfm', 'vim-adapter'] as Service[])
    for (const k of sys.keysOf(s)) {
      const p = sys.procs.get(k);
      if (p && p.exitCode === null && p.signalCode === null) continue;
      again.push([k, started(k) + 1]);
      sys.startService(s, k);
    }
  for (const until = Date.now() + 60_000; again.some(([k, n]) => started(k) < n); await sleep(100))
    if (Date.now() > until) throw new Error(`not started again: ${again.map(([k]) => k)}`);
  await sys.waitReady();
}

test('two of each, undisturbed: the deployment fits its diagram exactly, nothing sent twice', async () => {
  expect([...sys.procs.keys()].sort()).toEqual(['orchestrator', 'orchestrator-2', 'vim-adapter', 'vim-adapter-2', 'vnfm', 'vnfm-2']);
  const op = await sys.deploy(descriptor('calm'));
  expect(op.state).toBe('COMPLETED');
  expectNoRepeatedStep(op);
  expect(fits(diagram('deployment'), await sys.trace(op.id))).toMatchObject({ ok: true });
  await expectServing('calm');
  await expectClean();
});

test('kill -9 of one orchestrator, one VNFM and one VIM adapter in the middle of a deployment: the others complete it, no step twice', async () => {
  const r = await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor: descriptor('split') });
  const mid = await waitSteps(r.op, 14);
  expect(mid.state).toBe('PROCESSING');
  const victims = (['orchestrator', 'vnfm', 'vim-adapter'] as Service[]).map((s) => busyInstance(s, r.op));
  await Promise.all(victims.map((k) => sys.kill(k)));

  const op = await sys.waitOp(r.op);
  expect(op.state).toBe('COMPLETED');
  expectNoRepeatedStep(op);
  const raw = await sys.trace(r.op);
  const fit = fits(diagram('deployment'), withoutRepeats(raw));
  if (!fit.ok) console.log(victims, raw, fit);
  expect(fit).toMatchObject({ ok: true });
  await expectServing('split');
  await expectClean();
  // the survivors: one of each
  const alive = [...sys.procs].filter(([, p]) => p.exitCode === null && p.signalCode === null).map(([k]) => k);
  expect(alive.sort()).toEqual(
    sys
      .keysOf('orchestrator')
      .concat(sys.keysOf('vnfm'), sys.keysOf('vim-adapter'))
      .filter((k) => !victims.includes(k))
      .sort(),
  );
});

test('two scale-outs at once, their hosts made by either VIM adapter in the same folders: each host its own address', async () => {
  await restartKilled();
  const ops = await Promise.all(
    ['calm', 'split'].map(async (vnf) => (await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf, cluster: 'backend', by: 3 })).op),
  );
  for (const id of ops) {
    const op = await sys.waitOp(id);
    expect(op.state).toBe('COMPLETED');
    expectNoRepeatedStep(op);
    expect(fits(diagram('scale-out'), await sys.trace(id))).toMatchObject({ ok: true });
  }
  await expectClean();
  // both adapters made hosts
  for (const k of sys.keysOf('vim-adapter')) expect(readFileSync(join(sys.dir, `${k}.log`), 'utf8')).toContain('process host created');
  for (const vnf of ['calm', 'split'])
    await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleIn, { vnf, cluster: 'backend', by: 3 }).then((r) => sys.waitOp(r.op));
});

test('a dead node seen by the two VNFMs (and reported by the two VIM adapters) is healed once', async () => {
  const before = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'calm' });
  const victim = (await sys.hosts()).find((h) => h.node === 'calm-backend-1')!;
  process.kill(victim.pid!, 'SIGKILL');
  expect(await waitDead(victim.pid!)).toBe(true);

  // until a healing of that node ran and the VNF has been at rest for longer than a VNFM's retry
  let heals: Query.OpSummary[] = [];
  for (let quiet = 0, until = Date.now() + 60_000; quiet < 8; await sleep(500)) {
    if (Date.now() > until) throw new Error(`no rest: ${JSON.stringify(heals.map((o) => [o.id, o.state]))}`);
    const { ops } = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'calm' });
    heals = ops.filter((o) => o.algorithm === 'healing' && !before.ops.some((b) => b.id === o.id));
    const v = await sys.vnf('calm');
    quiet = heals.length > 0 && !v.activeOp && heals.every((o) => o.state === 'COMPLETED') ? quiet + 1 : 0;
  }
  expect(heals.map((o) => [o.requestedBy, o.state])).toEqual([['VNFM', 'COMPLETED']]);
  expectNoRepeatedStep((await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: heals[0].id })).op);
  expect(fits(diagram('healing'), await sys.trace(heals[0].id))).toMatchObject({ ok: true });
  const v = await sys.vnf('calm');
  expect(v.nodes.backend.map((n) => n.node)).not.toContain('calm-backend-1');
  await expectServing('calm');
  await expectClean();
});
