import { Agent, Deploy, Header, Vim } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { hostProcesses, processesUnder, System } from './support/system.js';

const sys = new System(44);
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

const small = (name: string) =>
  example('web', (d) => {
    d.name = name;
    d.clusters[0].nodes = 2;
    d.clusters[1].nodes = 1;
  });

test('the VIM adapter killed and restarted between two deployments leaks and duplicates nothing', async () => {
  expect((await sys.deploy(small('one'))).state).toBe('COMPLETED');
  const before = await sys.hosts();
  expect(before).toHaveLength(3);

  await sys.kill('vim-adapter');
  // the hosts are virtual machines of their own: they keep running while their manager is away
  expect(processesUnder(sys.dir).length).toBeGreaterThanOrEqual(6);
  sys.startService('vim-adapter');
  await sys.waitReady();

  const found = await sys.hosts();
  expect(found.map((h) => [h.node, h.address, h.state])).toEqual(expect.arrayContaining(before.map((h) => [h.node, h.address, 'running'])));
  expect(found).toHaveLength(3);

  expect((await sys.deploy(small('two'))).state).toBe('COMPLETED');
  const after = await sys.hosts();
  expect(after).toHaveLength(6);
  expect(new Set(after.map((h) => h.node)).size).toBe(6);
  expect(new Set(after.map((h) => h.address)).size).toBe(6);
  const recorded = [...Object.values((await sys.vnf('one')).nodes), ...Object.values((await sys.vnf('two')).nodes)].flat().map((n) => n.node);
  expect(after.map((h) => h.node).sort()).toEqual(recorded.sort());

  // one agent and one application per host, no more
  const procs = hostProcesses(sys.dir);
  expect(procs.agents).toEqual(recorded.sort());
  expect(procs.apps).toEqual(recorded.sort());

  // activating an existing host again returns it and starts nothing
  const again = await sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf: 'one', cluster: 'backend', node: before[0].node });
  expect(again.address).toBe(before[0].address);
  expect(hostProcesses(sys.dir)).toEqual(procs);
});

test('a host whose agent does not answer on this bus is not taken as running: activating it again boots a new agent', async () => {
  // as a data folder from a run on another NATS server looks: the agent's pid lives, but nobody
  // answers for the node here (a stopped agent stands for one connected elsewhere)
  const host = (await sys.hosts()).find((h) => h.vnf === 'one')!;
  process.kill(host.pid!, 'SIGSTOP');
  try {
    const again = await sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf: 'one', cluster: host.cluster, node: host.node }, 30_000);
    expect(again.address).toBe(host.address);
    expect(again.pid).not.toBe(host.pid);
    expect(await sys.req(Agent.subject(Agent.Verb.status, host.node), {})).toMatchObject({ node: host.node });
  } finally {
    try {
      process.kill(host.pid!, 'SIGCONT');
    } catch {
      /* replaced: gone already */
    }
  }
});

test('a step the AO sends again carries Vnf-Again; its first attempt does not', async () => {
  // the deploy request asks the VIM for its zones: the test answers that as the VIM did
  const zones = await sys.req(Vim.ZONE_LIST, {});
  await sys.kill('vim-adapter');
  const zoneList = sys.nc.subscribe(Vim.ZONE_LIST, {
    callback: (_e, m) => {
      m.respond(JSON.stringify(zones));
    },
  });
  // a listener that never answers stands for a VIM that dies with the request in hand: the AO's
  // in-flight probe finds nobody working on it, and the step is sent again
  const seen: { step?: string; again?: string }[] = [];
  const sub = sys.nc.subscribe(Vim.subject(Vim.Verb.hostActivate, 'local'), {
    callback: (_e, m) => {
      seen.push({ step: m.headers?.get(Header.step), again: m.headers?.get(Header.again) || undefined });
    },
  });
  try {
    const { op } = await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor: small('resent') });
    // hosts go ahead (ADR 25): several steps at once, each sent again
    const byStep = () => {
      const m = new Map<string | undefined, typeof seen>();
      for (const x of seen) m.set(x.step, [...(m.get(x.step) ?? []), x]);
      return m;
    };
    const deadline = Date.now() + 15_000;
    while (![...byStep().values()].some((a) => a.length >= 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    zoneList.unsubscribe();
    sys.startService('vim-adapter');
    await sys.waitReady();
    expect((await sys.waitOp(op)).state).toBe('COMPLETED');
    const attempts = [...byStep().values()];
    expect(attempts.some((a) => a.length >= 2)).toBe(true);
    // each step's first attempt unmarked, every later one marked
    for (const a of attempts) expect(a.map((x) => x.again)).toEqual([undefined, ...a.slice(1).map(() => '1')]);
  } finally {
    if (!sub.isClosed()) sub.unsubscribe();
    if (!zoneList.isClosed()) zoneList.unsubscribe();
  }
}, 60_000);
