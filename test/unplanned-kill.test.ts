import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { Load, type Sample } from './support/load.js';
import { waitDead } from './support/procs.js';
import { ROOT, System } from './support/system.js';

/**
 * Issue 13 point 8: a node that dies unplanned costs no request. The example frontend retries an
 * idempotent request on another backend when the connection was refused or reset before any
 * response byte, and skips a backend that refused for a moment, until healing has replaced it.
 * A POST (no Idempotency-Key) is never sent to a second backend: a recording backend shows it.
 */
const env: Record<string, string> = {};
const sys = new System(63, env);
const RECORDS = join(sys.dir, 'records');
// the recording backend lives with the test fixtures
env.VNF_APP_ROOTS = `${join(ROOT, 'examples')}:${join(ROOT, 'test/fixtures/apps')}`;

const health = { http: '/health', intervalMs: 50, timeoutMs: 10_000 };
/** 3 example backends behind one example frontend */
const web = example('web', (d) => (d.clusters[1].nodes = 1));
/** 3 recording backends behind one example frontend */
const rec = example('web', (d) => {
  d.name = 'rec';
  d.clusters[1].nodes = 1;
  const b = d.clusters[0];
  b.app = {
    version: 'v1',
    command: 'node',
    args: ['recorder.mjs'],
    cwd: join(ROOT, 'test/fixtures/apps'),
    port: 8080,
    reload: { signal: 'SIGHUP' },
    env: { RECORD_DIR: RECORDS },
  };
  b.health = health;
  delete b.versions;
});

beforeAll(async () => {
  // the applications run as an unprivileged user: they must be able to write here
  mkdirSync(RECORDS);
  chmodSync(RECORDS, 0o777);
  await sys.start();
  const [a, b] = await Promise.all([sys.deploy(web), sys.deploy(rec)]);
  expect(a.state).toBe('COMPLETED');
  expect(b.state).toBe('COMPLETED');
}, 120_000);
afterAll(() => sys.stop(), 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The healing of `node` the VNFM asked for on its own, once it ended. */
const healedByVnfm = async (vnf: string, node: string) => sys.waitOp((await sys.healingOf(vnf, node, { timeoutMs: 30_000 })).id);

/** What the frontend logged about failed upstreams: `{upstream, error, method, retry}` each. */
function frontendFailures(frontend: string): { upstream: string; error: string; method: string; retry: string | null }[] {
  const log = join(sys.dir, 'hosts/local', frontend, 'app/app.log');
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"upstream failed"'))
    .map((l) => JSON.parse(l));
}

async function pidsOf(node: string): Promise<{ agent: number; app: number }> {
  const host = (await sys.hosts()).find((h) => h.node === node)!;
  const status = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, node), {});
  return { agent: host.pid!, app: status.app.pid! };
}

test.each([
  ['its application', false],
  ['its whole virtual host (agent and application)', true],
])(
  'kill -9 of a backend, %s, under load: no failed request, and the replacement serves',
  async (_what, wholeHost) => {
    const before = await sys.vnf('web');
    const f = before.nodes.frontend[0];
    const victim = before.nodes.backend[1].node;
    const pids = await pidsOf(victim);
    const load = new Load(() => [`http://${f.address}:${f.port}/`], 4, 120_000, 2);
    const samples = load.samples as Sample[];
    // serving before the kill
    while (!samples.some((s) => s.upstream === victim)) await sleep(20);

    const killedAt = Date.now();
    process.kill(pids.app, 'SIGKILL');
    if (wholeHost) process.kill(pids.agent, 'SIGKILL');
    expect(await waitDead(pids.app)).toBe(true);
    const deadAt = Date.now();
    const op = await healedByVnfm('web', victim);
    expect(op).toMatchObject({ state: 'COMPLETED', requestedBy: 'VNFM' });
    const after = (await sys.vnf('web')).nodes.backend.map((n) => n.node);
    const fresh = after.find((n) => !before.nodes.backend.some((b) => b.node === n))!;
    expect(after).toHaveLength(3);
    expect(after).not.toContain(victim);
    // keep the load on until the replacement has answered some of it after the healing (or 20 s)
    const healedAt = Date.now();
    const servedByFresh = (list: Sample[]) => list.filter((s) => s.upstream === fresh && s.start > healedAt);
    for (const until = Date.now() + 20_000; Date.now() < until && servedByFresh(samples).length < 10; ) await sleep(50);
    const all = await load.stop();

    expect(Load.failures(all)).toEqual([]);
    // served throughout: before the kill, while the node was dead and being replaced, after
    expect(all.filter((s) => s.end < killedAt).length).toBeGreaterThan(0);
    expect(all.filter((s) => s.start >= killedAt && s.end <= healedAt).length).toBeGreaterThan(0);
    // the replacement serves; the dead node never answered after its death
    expect(servedByFresh(all).length).toBeGreaterThanOrEqual(10);
    expect(all.filter((s) => s.upstream === victim && s.start > deadAt)).toEqual([]);
    // not by luck: requests did reach the dead node, and the frontend sent them to another one
    const failed = frontendFailures(f.node).filter((e) => e.upstream === victim);
    console.log(`${victim}: ${all.length} requests, ${failed.length} retried elsewhere (${[...new Set(failed.map((e) => e.error))].join(', ')})`);
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) {
      expect(e.method).toBe('GET');
      expect(e.retry).not.toBeNull();
      expect(e.retry).not.toBe(victim);
    }
  },
  90_000,
);

/** how many times each request id reached any recording backend, and which ones */
function recorded(): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const n of readdirSync(RECORDS)) {
    for (const line of readFileSync(join(RECORDS, n), 'utf8').split('\n').filter(Boolean)) {
      const id = line.split(' ')[1];
      seen.set(id, [...(seen.get(id) ?? []), n]);
    }
  }
  return seen;
}

/** POSTs that tell `victim` to die on receipt, one after the other, until one reached it. */
async function postUntilDeath(victim: string, tag: string, headers: Record<string, string> = {}) {
  const v = await sys.vnf('rec');
  const f = v.nodes.frontend[0];
  const sent: { id: string; status: number; upstream: string | null; body: any }[] = [];
  for (let i = 0; i < 6; i++) {
    const id = `${tag}-${i}`;
    const r = await fetch(`http://${f.address}:${f.port}/orders`, {
      method: 'POST',
      body: JSON.stringify({ order: id }),
      headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-die-node': victim, ...headers },
      signal: AbortSignal.timeout(5000),
    });
    sent.push({ id, status: r.status, upstream: r.headers.get('x-upstream'), body: await r.json() });
    if (recorded().get(id)?.includes(victim)) return { sent, id, frontend: f.node };
  }
  throw new Error(`no POST reached ${victim}: ${JSON.stringify(sent)}`);
}

test('a POST without Idempotency-Key that reached a backend which died is not sent to another: 502, seen once', async () => {
  const victim = (await sys.vnf('rec')).nodes.backend[0].node;
  const { sent, id, frontend } = await postUntilDeath(victim, 'plain');
  expect(sent.at(-1)).toMatchObject({ id, status: 502, body: { upstream: victim } });
  const seen = recorded();
  expect(seen.get(id)).toEqual([victim]);
  // the ones before it went to live backends, once each
  for (const s of sent.slice(0, -1)) {
    expect(s.status).toBe(200);
    expect(seen.get(s.id)).toEqual([s.upstream]);
  }
  expect(frontendFailures(frontend).filter((e) => e.upstream === victim)).toEqual([expect.objectContaining({ method: 'POST', retry: null })]);
  expect(await healedByVnfm('rec', victim)).toMatchObject({ state: 'COMPLETED' });
}, 60_000);

test('the same POST with an Idempotency-Key is sent to another backend: 200, seen by the dead one and one other', async () => {
  const victim = (await sys.vnf('rec')).nodes.backend[0].node;
  const { sent, id } = await postUntilDeath(victim, 'keyed', { 'idempotency-key': 'order-keyed' });
  const last = sent.at(-1)!;
  expect(last).toMatchObject({ id, status: 200 });
  expect(last.upstream).not.toBe(victim);
  expect(recorded().get(id)!.sort()).toEqual([victim, last.upstream].sort());
  expect(await healedByVnfm('rec', victim)).toMatchObject({ state: 'COMPLETED' });
}, 60_000);
