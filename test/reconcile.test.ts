import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Label, Trace, Vim } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { hostProcesses, System } from './support/system.js';

/**
 * Reconciliation: the VIM adapter compares the hosts that really exist with the nodes the
 * orchestrator's records own; a host nobody owns is reported, then removed after the grace
 * period, and nothing is removed while ownership cannot be known.
 */
const ROUND_MS = 300;
const GRACE_MS = 1_500;
const sys = new System(52, { VIM_RECONCILE_MS: String(ROUND_MS), VIM_ORPHAN_GRACE_MS: String(GRACE_MS) });
/** the deployed VNF's own hosts: node -> agent pid */
const own = new Map<string, number | undefined>();

beforeAll(async () => {
  await sys.start();
  const op = await sys.deploy(
    example('web', (d) => {
      d.clusters[0].nodes = 1;
      d.clusters[1].nodes = 1;
    }),
  );
  expect(op.state).toBe('COMPLETED');
  for (const h of await sys.hosts()) own.set(h.node, h.pid);
  expect(own.size).toBe(2);
}, 90_000);
afterAll(() => sys.stop(), 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const activate = (vnf: string, cluster: string, node: string) => sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf, cluster, node });

/** The VIM adapter's JSON log lines with this message. */
function vimLog(msg: string): any[] {
  return readFileSync(join(sys.dir, 'vim-adapter.log'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((e) => e.msg === msg);
}

async function traceLabels(op: string): Promise<string[]> {
  const c = await jetstream(sys.nc).consumers.get(Trace.STREAM, { filter_subjects: Trace.subject(op) });
  const labels: string[] = [];
  for await (const m of await c.fetch({ max_messages: 50, expires: 1_000 })) {
    const e = m.json<Trace.Entry>();
    labels.push(`${e.from}->${e.act}${e.to}: ${e.label}`.trimEnd());
  }
  return labels;
}

/** The deployed VNF still has exactly its own hosts, the same agents, never flagged. */
async function expectOwnHostsUntouched({ orchestratorUp = true } = {}) {
  if (orchestratorUp) {
    const v = await sys.vnf('web');
    expect(
      Object.values(v.nodes)
        .flat()
        .map((n) => n.node)
        .sort(),
    ).toEqual([...own.keys()].sort());
  }
  const hosts = await sys.hosts();
  for (const [node, pid] of own) {
    const h = hosts.find((x) => x.node === node);
    expect(h).toMatchObject({ node, pid, state: 'running' });
    expect(h!.orphan).toBeUndefined();
  }
  expect(hostProcesses(sys.dir).agents).toEqual(expect.arrayContaining([...own.keys()]));
}

test('hosts no record owns are reported as orphans, then removed after the grace period; the VNF is untouched', async () => {
  const orphans = [
    // a node of a deployed VNF that its record does not list
    await activate('web', 'backend', 'web-backend-99'),
    // a VNF that has no record at all
    await activate('ghost', 'x', 'ghost-x-1'),
  ];
  const nodes = orphans.map((h) => h.node);
  expect(hostProcesses(sys.dir).agents).toEqual(expect.arrayContaining(nodes));

  const reported = await until('both hosts reported as orphans', async () => {
    const hs = (await sys.hosts()).filter((h) => nodes.includes(h.node) && h.orphan);
    return hs.length === 2 ? hs : undefined;
  });
  for (const h of reported) {
    expect(h.orphan).toBe(true);
    expect(new Date(h.orphanSince!).toISOString()).toBe(h.orphanSince);
    // a new host counts as owned for the grace period: its creator may not have recorded it yet
    expect(Date.parse(h.orphanSince!) - Date.parse(h.createdAt)).toBeGreaterThanOrEqual(GRACE_MS);
  }
  // the deployed VNF's hosts are not orphans
  await expectOwnHostsUntouched();

  // reported once each, with what an operator needs to find them
  for (const h of reported) {
    const lines = vimLog('orphan host').filter((e) => e.node === h.node);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', vnf: h.vnf, node: h.node, zone: h.zone, address: h.address, orphanSince: h.orphanSince });
  }

  await until('the orphans removed', async () => ((await sys.hosts()).some((h) => nodes.includes(h.node)) ? undefined : true));
  await until('their agents gone', () => (hostProcesses(sys.dir).agents.some((a) => nodes.includes(a)) ? undefined : true), 5_000);

  for (const h of reported) {
    const [removed] = vimLog('orphan host removed').filter((e) => e.node === h.node);
    expect(removed).toMatchObject({ vnf: h.vnf, node: h.node, zone: h.zone, orphanSince: h.orphanSince });
    // not before it stayed an orphan for the whole grace period
    expect(Date.parse(removed.time) - Date.parse(h.orphanSince!)).toBeGreaterThanOrEqual(GRACE_MS);
    // removed like host-remove does it, traceable by its own operation id
    expect(removed.op).toMatch(/^reconcile-[0-9a-f-]{36}$/);
    expect(await traceLabels(removed.op)).toEqual([
      `VIM->+VNF: ${Label.stopVirtualHost}`,
      'VNF->-VIM:',
      `VIM->+VNF: ${Label.destroyVirtualHost}`,
      'VNF->-VIM:',
    ]);
  }
  await expectOwnHostsUntouched();
}, 60_000);

test('while the orchestrator is down an orphan is not removed; once it answers again the orphan goes', async () => {
  await sys.kill('orchestrator');
  const h = await activate('web', 'backend', 'web-backend-98');

  // far longer than creation grace + orphan grace: it would be gone by now if ownership were guessed
  const until_ = Date.now() + 3 * GRACE_MS + 1_000;
  while (Date.now() < until_) {
    const now = (await sys.hosts()).find((x) => x.node === h.node);
    expect(now).toMatchObject({ node: h.node, pid: h.pid, state: 'running' });
    // nobody could say it is an orphan
    expect(now!.orphan).toBeUndefined();
    await sleep(ROUND_MS);
  }
  expect(hostProcesses(sys.dir).agents).toContain(h.node);
  expect(vimLog('host ownership unknown: no host is removed until the orchestrator answers').length).toBeGreaterThanOrEqual(1);
  expect(vimLog('orphan host removed').filter((e) => e.node === h.node)).toHaveLength(0);
  await expectOwnHostsUntouched({ orchestratorUp: false });

  sys.startService('orchestrator');
  await sys.waitReady();
  await until('the orphan removed', async () => ((await sys.hosts()).some((x) => x.node === h.node) ? undefined : true));
  await until('its agent gone', () => (hostProcesses(sys.dir).agents.includes(h.node) ? undefined : true), 5_000);
  expect(vimLog('orphan host removed').filter((e) => e.node === h.node)).toHaveLength(1);
  await expectOwnHostsUntouched();
}, 60_000);
