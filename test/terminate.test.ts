import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Access, Lifecycle, Query, Vnfm, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { count, diagram, diagramFile, fits, SEQUENCES } from './support/seqcheck.js';
import { dist, hostProcesses, httpGet, ROOT, System } from './support/system.js';

const sys = new System(66);
const run = promisify(execFile);
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

/** vnfctl as an operator runs it, with a role's credentials (DevOps unless told): exit code, stdout, stderr. */
async function vnfctl(args: string[], role: Access.Role = Access.Role.devops): Promise<{ code: number; out: string; err: string }> {
  try {
    const env = { ...process.env, ...sys.envOf(role) };
    const r = await run(process.execPath, [dist('vnfctl'), '-s', sys.nats.url, ...args], { timeout: 120_000, env });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

const ours = (n: string) => /^web-(backend|frontend)-\d+$/.test(n);
/** the host folders the process zones keep, one per node */
const hostFolders = () =>
  ['local', 'edge'].flatMap((z) => {
    const d = join(sys.dir, 'hosts', z);
    return existsSync(d) ? readdirSync(d).filter(ours) : [];
  });
const nodesOf = (v: Records.VnfRecord) =>
  Object.values(v.nodes)
    .flat()
    .map((n) => n.node)
    .sort();

let deployOp: string;
let before: string[];

/**
 * examples/web.yaml, its backend held before it starts while a file `hold-<node>` is in the test's
 * folder: an operation adding that node cannot end before the test lets it (by removing the file)
 */
const held = () =>
  example('web', (d) => {
    writeFileSync(
      join(sys.dir, 'held.mjs'),
      [
        "import { existsSync } from 'node:fs';",
        `while (existsSync('${sys.dir}/hold-' + process.env.VNF_NODE)) await new Promise((r) => setTimeout(r, 50));`,
        `await import('${join(ROOT, 'examples/apps/backend.mjs')}');`,
      ].join('\n'),
    );
    const b = d.clusters.find((c) => c.name === 'backend')!;
    b.app = { ...b.app, args: ['held.mjs'], cwd: sys.dir };
    // a held node is not given up on while the test holds it, however slow the machine
    b.health = { ...b.health!, timeoutMs: 60_000 };
  });

test('deploy examples/web.yaml', async () => {
  const r = await sys.deploy(held());
  expect(r.state).toBe('COMPLETED');
  deployOp = r.id;
  before = nodesOf(await sys.vnf('web'));
  expect(before).toHaveLength(5);
  expect(hostFolders().sort()).toEqual(before);
});

test('refused while another operation runs, for an unknown vnf, for a bad name, and to an observer: nothing changes', async () => {
  // the scale-out's new backend waits for the test: the scale-out still runs when terminate comes
  const hold = join(sys.dir, `hold-web-backend-${(await sys.vnf('web')).nextSeq.backend + 1}`);
  writeFileSync(hold, '');
  const scale = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 1 });
  const busy = await sys.raw(Lifecycle.Subject.terminate, { vnf: 'web' });
  rmSync(hold);
  expect(busy.error).toMatchObject({
    err_code: 'conflict',
    description: expect.stringMatching(/running operation/),
    details: { op: scale.op, algorithm: 'scale-out' },
  });
  expect((await sys.waitOp(scale.op)).state).toBe('COMPLETED');
  const back = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleIn, { vnf: 'web', cluster: 'backend', by: 1 });
  expect((await sys.waitOp(back.op)).state).toBe('COMPLETED');
  before = nodesOf(await sys.vnf('web'));

  const opsBefore = (await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length;
  expect((await sys.raw(Lifecycle.Subject.terminate, { vnf: 'nope' })).error).toMatchObject({ err_code: 'not_found', description: 'unknown vnf nope' });
  expect((await sys.raw(Lifecycle.Subject.terminate, { vnf: 'Bad Name' })).error).toMatchObject({ err_code: 'invalid_request' });
  expect((await sys.raw(Lifecycle.Subject.terminate, { vnf: 'web', force: true })).error).toMatchObject({ err_code: 'invalid_request' });
  const unknown = await vnfctl(['terminate', 'nope', '--wait']);
  expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('error: not_found: unknown vnf nope') });

  // an observer may read, never terminate: the server refuses the publish
  const observer = await sys.connectAs(Access.Role.observer);
  await expect(observer.request(Lifecycle.Subject.terminate, JSON.stringify({ vnf: 'web' }), { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
  await observer.close();
  const o = await vnfctl(['--json', 'terminate', 'web'], Access.Role.observer);
  expect(o.code).toBe(1);
  expect(JSON.parse(o.err).error).toMatchObject({ err_code: 'unavailable', description: expect.stringMatching(/permission denied on vnf\.ao\.terminate/) });

  expect((await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length).toBe(opsBefore);
  expect(nodesOf(await sys.vnf('web'))).toEqual(before);
  expect((await sys.vnf('web')).state).toBe('INSTANTIATED');
});

describe('terminate --wait', () => {
  let op: Records.OpRecord;
  let wsd: string;

  test('removes every node, clients first, each as scale-in removes one; the VNF ends NOT_INSTANTIATED', async () => {
    before = nodesOf(await sys.vnf('web'));
    const t = await vnfctl(['terminate', 'web', '--wait']);
    expect({ code: t.code, err: t.err }).toEqual({ code: 0, err: '' });
    expect(t.out).toMatch(/termination of web \(5 nodes\) started/);
    expect(t.out).toMatch(/COMPLETED in/);
    expect(t.out.split('\n').filter((l) => l.includes('remove virtual host'))).toHaveLength(5);

    const { ops } = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' });
    // the list summarises; the steps are the record's
    op = (await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: ops.filter((o) => o.algorithm === 'terminate').at(-1)!.id })).op;
    expect(op).toMatchObject({
      state: 'COMPLETED',
      requestedBy: 'DevOps',
      params: {
        clusters: [
          { cluster: 'frontend', count: 2 },
          { cluster: 'backend', count: 3 },
        ],
      },
    });

    // every frontend node has left and its application is gone before the first backend node
    // leaves; the last frontend's empty host may still be going meanwhile (ADR 33)
    const hosts = op.steps.filter((s) => s.label === 'remove virtual host');
    expect(hosts.map((s) => s.cluster)).toEqual(['frontend', 'frontend', 'backend', 'backend', 'backend']);
    const firstBackend = op.steps.findIndex((s) => s.cluster === 'backend');
    const hostGoing = (key: string) => /\/host(\/notify)?$/.test(key);
    expect(op.steps.slice(firstBackend).filter((s) => s.cluster === 'frontend' && !hostGoing(s.key))).toEqual([]);
    expect(hosts.map((s) => s.node).sort()).toEqual(before);
    // the newest node of a cluster leaves first, as in scale-in
    const frontends = before.filter((n) => n.includes('frontend'));
    expect(hosts.slice(0, 2).map((s) => s.node)).toEqual([...frontends].sort((a, b) => b.localeCompare(a, undefined, { numeric: true })));

    const v = await sys.vnf('web');
    expect(v).toMatchObject({ name: 'web', state: 'NOT_INSTANTIATED', nodes: { frontend: [], backend: [] } });
    expect(v.activeOp).toBeUndefined();
    expect((await vnfctl(['status', 'web'])).out).toMatch(/^web {2}NOT_INSTANTIATED\n/);
  });

  test('leaves no host, agent, application, host folder or cluster member', async () => {
    expect((await sys.hosts()).filter((h) => ours(h.node))).toEqual([]);
    const { agents, apps } = hostProcesses(sys.dir);
    expect({ agents: agents.filter(ours), apps: apps.filter(ours) }).toEqual({ agents: [], apps: [] });
    expect(hostFolders()).toEqual([]);
    const { clusters } = await sys.req<Vnfm.ClusterListReply>(Vnfm.Subject.clusterGet, { vnf: 'web' });
    expect(clusters.map((c) => [c.name, c.members.length, c.nodes.length])).toEqual(
      expect.arrayContaining([
        ['backend', 0, 0],
        ['frontend', 0, 0],
      ]),
    );
  });

  test('its trace fits docs/sequences/terminate.wsd, by the TypeScript check and by shared/tools/seqcheck.py', async () => {
    wsd = await sys.trace(op.id);
    expect(fits(diagram('terminate'), wsd)).toMatchObject({ ok: true });
    expect(count(wsd, 'AO->+VIM:remove virtual host')).toBe(5);
    expect(count(wsd, 'reconfigure client')).toBe(0);
    expect(wsd).not.toContain('AO->VNFM: notify');
    const file = join(sys.dir, 'terminate.wsd');
    writeFileSync(file, wsd);
    const out = execFileSync(
      'python3',
      [
        join(SEQUENCES, '..', 'tools', 'seqcheck.py'),
        diagramFile('terminate'),
        file,
        '--count=AO->+VIM:remove virtual host:5',
        '--count=AO->+VNFM:scale-in cluster:5',
      ],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/terminate.wsd: fits, \d+ messages/);
    // and nothing else does: scale-in's diagram wants its own request
    expect(fits(diagram('scale-in'), wsd).ok).toBe(false);
    // the trace kept beside the diagram, as documentation, is one too
    expect(fits(diagram('terminate'), readFileSync(join(ROOT, 'docs/sequences/terminate.trace.wsd'), 'utf8'))).toMatchObject({ ok: true });
  });

  test('its operations and events stay: the deployment and the termination are listed, their notifications kept', async () => {
    const { ops } = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' });
    expect(ops.map((o) => o.algorithm)).toEqual(expect.arrayContaining(['deployment', 'terminate']));
    expect(ops.find((o) => o.id === deployOp)).toMatchObject({ state: 'COMPLETED' });
    expect((await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: op.id })).op.state).toBe('COMPLETED');

    const ev = await vnfctl(['--json', 'events', 'web']);
    expect(ev.code).toBe(0);
    const events = ev.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; step: string; state: string });
    expect(events.some((e) => e.op === deployOp)).toBe(true);
    const mine = events.filter((e) => e.op === op.id);
    expect(mine.filter((e) => e.step === 'remove virtual host')).toHaveLength(5);
    expect(mine.at(-1)).toMatchObject({ step: 'operation', state: 'COMPLETED' });
  });

  test('a terminated vnf takes no other operation, nor a second termination', async () => {
    for (const [subject, body] of [
      [Lifecycle.Subject.terminate, { vnf: 'web' }],
      [Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 1 }],
    ] as const) {
      const r = await sys.raw(subject, body);
      expect(r.error).toMatchObject({ err_code: 'conflict', description: expect.stringMatching(/not instantiated/), details: { state: 'NOT_INSTANTIATED' } });
    }
  });

  test('the name is deployed again, with new node ids, and serves', async () => {
    const r = await sys.deploy(example('web'));
    expect(r.state).toBe('COMPLETED');
    const v = await sys.vnf('web');
    expect(v.state).toBe('INSTANTIATED');
    const now = nodesOf(v);
    expect(now).toHaveLength(5);
    // node numbers are never reused, so no subject or identity of a removed node means a new one
    expect(now.filter((n) => before.includes(n))).toEqual([]);
    expect(
      (await sys.hosts())
        .filter((h) => ours(h.node))
        .map((h) => h.node)
        .sort(),
    ).toEqual(now);
    for (const f of v.nodes.frontend) expect((await httpGet(`http://${f.address}:${f.port}/`)).status).toBe(200);
  });
});

describe('a terminate cancelled while a node is half removed', () => {
  /** its backends take 2 s to stop: the cancel lands while one is being destroyed */
  const slow = () =>
    example('web', (d) => {
      d.name = 'half';
      writeFileSync(join(sys.dir, 'slow.mjs'), `import '${join(ROOT, 'test/fixtures/apps/slow-stop.mjs')}';\n`);
      const b = d.clusters.find((c) => c.name === 'backend')!;
      b.app = { ...b.app, args: ['slow.mjs'], cwd: sys.dir, env: { ...b.app.env, STOP_DELAY_MS: '2000' } };
    });

  test('rolls back: the half-removed node is removed for good, one like it joins again, nothing is left over', async () => {
    expect((await sys.deploy(slow())).state).toBe('COMPLETED');
    const v0 = await sys.vnf('half');
    const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.terminate, { vnf: 'half' });
    // a backend has left its cluster and its application is being destroyed (2 s): cancel now
    let leaving: string | undefined;
    for (let until = Date.now() + 30_000; !leaving; await new Promise((x) => setTimeout(x, 20))) {
      const { op } = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: r.op });
      if (Date.now() > until) throw new Error(`no backend removal seen: ${op.state} ${JSON.stringify(op.steps.map((s) => [s.key, s.cluster, s.node]))}`);
      // out of the cluster and of the record, its application not yet destroyed
      const last = op.steps.filter((s) => s.cluster === 'backend' && s.key.endsWith('/unrecord')).at(-1);
      if (last && !op.steps.some((s) => s.key === last.key.replace(/unrecord$/, 'app'))) leaving = last.node;
    }
    await sys.req(Query.Action.cancel, { op: r.op, then: 'rollback' });
    const done = await sys.waitOp(r.op, 120_000);
    expect({ state: done.state, err: done.error?.err_code }).toEqual({ state: 'ROLLED_BACK', err: 'cancelled' });

    // as many nodes as before, of the same clusters, the half-removed one not among them
    const v = await sys.vnf('half');
    expect(v.state).toBe('INSTANTIATED');
    expect(Object.fromEntries(Object.entries(v.nodes).map(([c, ns]) => [c, ns.length]))).toEqual(
      Object.fromEntries(Object.entries(v0.nodes).map(([c, ns]) => [c, ns.length])),
    );
    const now = nodesOf(v);
    expect(now).not.toContain(leaving);
    // one host, agent and application per node of the record, and nothing of the one that left
    const mine = (n: string) => n.startsWith('half-');
    expect(
      (await sys.hosts())
        .filter((h) => mine(h.node))
        .map((h) => h.node)
        .sort(),
    ).toEqual(now);
    const { agents, apps } = hostProcesses(sys.dir);
    expect({ agents: agents.filter(mine).sort(), apps: apps.filter(mine).sort() }).toEqual({ agents: now, apps: now });
    // the frontends send to the backends the record lists, and answer
    const backends = v.nodes.backend.map((n) => n.node).sort();
    for (const f of v.nodes.frontend) {
      const ups = (await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string }[];
      expect(ups.map((u) => u.node).sort()).toEqual(backends);
    }
  });
});
