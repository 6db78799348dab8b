import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { Access, Deploy, Descriptor, Lifecycle, Query, Vim, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { ROOT, System } from './support/system.js';

/**
 * Nothing outgrows a message (issue 12.4): five VNFs of ~240 KB descriptors once made vnf-list
 * and op-list fail for good, and with them the VIM's orphan check and a restart. Here 50 VNFs
 * each have a descriptor of exactly MAX_DESCRIPTOR_BYTES (64 clusters of 0 nodes, versions of 64
 * characters, the rest padding), one of them with real nodes: the lists page through all of them,
 * vnfctl reads them, a byte more is refused, and a restart of every service changes nothing.
 */
const ROUND_MS = 300;
const GRACE_MS = 1_500;
/** small step pages, so that every operation here has its steps split off its record (op-store.ts) */
const STEP_PAGE = 4096;
const sys = new System(68, { VIM_RECONCILE_MS: String(ROUND_MS), VIM_ORPHAN_GRACE_MS: String(GRACE_MS), AO_STEP_PAGE_BYTES: String(STEP_PAGE) });
const CLI = join(ROOT, 'apps/vnfctl/dist/main.js');
const COUNT = 50;
const names = Array.from({ length: COUNT - 1 }, (_, i) => `big-${String(i + 1).padStart(2, '0')}`).concat('web');
const T = 180_000;

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** `d` grown to exactly `size` bytes of JSON by an env value of its first cluster */
function sized(d: Descriptor.VnfDescriptor, size: number): Descriptor.VnfDescriptor {
  const app = d.clusters[0].app;
  app.env = { ...app.env, PAD: '' };
  app.env.PAD = 'x'.repeat(size - bytes(d));
  expect(bytes(d)).toBe(size);
  return d;
}

/** `d` as its VNF record keeps it: deployment writes the default zone into each cluster naming none (ADR 26) */
const recorded = (d: Descriptor.VnfDescriptor) => ({ ...d, clusters: d.clusters.map((c) => ({ ...c, zone: c.zone ?? 'local' })) });

/** 64 clusters of no node, each with a version of 64 characters: the summaries are big too */
function big(name: string, size = Descriptor.MAX_DESCRIPTOR_BYTES): Descriptor.VnfDescriptor {
  const clusters = Array.from({ length: 64 }, (_, i) => ({
    name: `c${String(i).padStart(2, '0')}`,
    nodes: 0,
    app: { version: `v1-${'x'.repeat(61)}`, command: 'node', args: ['backend.mjs'], cwd: join(ROOT, 'examples/apps'), port: 8080 },
  }));
  return sized({ name, description: 'd'.repeat(2000), clusters }, size);
}

/** web with real nodes (backend 2, frontend 1), and a padding cluster of no node to the limit */
function web(size = Descriptor.MAX_DESCRIPTOR_BYTES): Descriptor.VnfDescriptor {
  const d = example('web', (d) => {
    d.clusters[0].nodes = 2;
    d.clusters[1].nodes = 1;
  });
  const pad = { name: 'pad', nodes: 0, app: { version: 'v1', command: 'node', args: ['backend.mjs'], cwd: join(ROOT, 'examples/apps'), port: 8080 } };
  d.clusters.unshift(pad);
  return sized(d, size);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function vnfctl(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...sys.envOf(Access.Role.devops) };
  delete env.NATS_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '-s', sys.nats.url, ...args], { env, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** pages of a list with `limit`, each checked against the budget; every item once */
async function pages<R extends { next?: string }>(
  subject: string,
  body: Record<string, unknown>,
  itemsOf: (r: R) => unknown[],
): Promise<{ pages: R[]; items: unknown[] }> {
  const out: R[] = [];
  for (let cursor: string | undefined; ; ) {
    const m = await sys.nc.request(subject, JSON.stringify({ ...body, ...(cursor ? { cursor } : {}) }), { timeout: 10_000 });
    expect(m.data.length).toBeLessThanOrEqual(Query.MAX_REPLY_BYTES);
    const r = m.json<R>();
    out.push(r);
    if (!r.next) return { pages: out, items: out.flatMap(itemsOf) };
    cursor = r.next;
    expect(out.length).toBeLessThan(100);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let webHosts: Vim.HostInfo[] = [];

beforeAll(async () => {
  await sys.start();
  // five at a time: the orchestrator runs them side by side
  for (let i = 0; i < names.length; i += 5) {
    const batch = names.slice(i, i + 5);
    const ops = await Promise.all(batch.map((n) => sys.deploy(n === 'web' ? web() : big(n))));
    expect(ops.map((o) => o.state)).toEqual(batch.map(() => 'COMPLETED'));
  }
  webHosts = await sys.hosts();
  expect(webHosts.map((h) => h.node).sort()).toEqual(['web-backend-1', 'web-backend-2', 'web-frontend-1']);
}, 600_000);
afterAll(() => sys.stop(), 60_000);

describe('50 VNFs with descriptors at the limit', () => {
  test('each record holds its whole descriptor, and vnf-get still answers with it', async () => {
    const one = await sys.vnf('big-07');
    expect(bytes(one.descriptor)).toBe(bytes(recorded(big('big-07'))));
    const w = await sys.vnf('web');
    expect(Object.values(w.nodes).flat()).toHaveLength(3);
  });

  test(
    'vnf-list pages through all 50 with limit 7: name order, none twice, none missing, summaries without descriptors',
    async () => {
      const { pages: ps, items } = await pages<Query.VnfListReply>(Query.Subject.vnfList, { limit: 7 }, (r) => r.vnfs);
      expect(ps.length).toBe(Math.ceil(COUNT / 7));
      for (const p of ps) expect(p.vnfs.length).toBeLessThanOrEqual(7);
      const got = (items as Query.VnfSummary[]).map((v) => v.name);
      expect(got).toEqual([...names].sort());
      const w = (items as Query.VnfSummary[]).find((v) => v.name === 'web')!;
      expect(w).not.toHaveProperty('descriptor');
      expect(w.clusters.find((c) => c.name === 'backend')).toMatchObject({ nodes: 2, want: 2, version: 'v1', running: { v1: 2 } });
    },
    T,
  );

  test(
    'a page asked for 500 is cut short at MAX_REPLY_BYTES, and its next leads on to the rest',
    async () => {
      const { pages: ps, items } = await pages<Query.VnfListReply>(Query.Subject.vnfList, { limit: Query.LIST_MAX_LIMIT }, (r) => r.vnfs);
      expect(ps.length).toBeGreaterThan(1);
      expect(ps[0].vnfs.length).toBeLessThan(COUNT);
      expect(new Set((items as Query.VnfSummary[]).map((v) => v.name)).size).toBe(COUNT);
      expect(await sys.vnfs()).toHaveLength(COUNT);
    },
    T,
  );

  test(
    'op-list pages through every operation with limit 7, oldest first; by vnf too',
    async () => {
      const { items } = await pages<Query.OpListReply>(Query.Subject.opList, { limit: 7 }, (r) => r.ops);
      const ops = items as Query.OpSummary[];
      expect(ops).toHaveLength(COUNT);
      expect(new Set(ops.map((o) => o.id)).size).toBe(COUNT);
      expect(new Set(ops.map((o) => o.vnf))).toEqual(new Set(names));
      const started = ops.map((o) => o.startedAt);
      expect(started).toEqual([...started].sort());
      // the summary: a step count, the descriptor's name and size instead of the descriptor
      const deploy = ops.find((o) => o.vnf === 'big-03')!;
      expect(deploy).toMatchObject({
        algorithm: 'deployment',
        state: 'COMPLETED',
        params: { descriptor: { name: 'big-03', bytes: bytes(recorded(big('big-03'))) } },
      });
      expect(deploy.steps).toBeGreaterThan(64);
      expect(await sys.ops('web', 1)).toEqual([expect.objectContaining({ vnf: 'web', algorithm: 'deployment' })]);
    },
    T,
  );

  test.each([
    [Query.Subject.vnfList, { limit: 0 }, '/limit'],
    [Query.Subject.vnfList, { limit: Query.LIST_MAX_LIMIT + 1 }, '/limit'],
    [Query.Subject.vnfList, { cursor: 'Not A Cursor' }, '/cursor'],
    [Query.Subject.opList, { cursor: 'big-01' }, '/cursor'],
    [Query.Subject.opList, { limit: 'ten' }, '/limit'],
    [Query.Subject.vnfList, { limit: 7, page: 2 }, '/page'],
    [Query.Subject.nodeHealth, { vnf: 'Bad Name' }, '/vnf'],
    [Query.Subject.nodeHealth, { vnf: 'web', verbose: true }, '/verbose'],
  ])('%s with %j is refused as invalid_request naming %s', async (subject, body, field) => {
    const r = await sys.raw(subject, body);
    expect(r.error).toMatchObject({ code: 400, err_code: 'invalid_request' });
    expect([...new Set(r.error.details.issues.map((i: { field: string }) => i.field))]).toEqual([field]);
  });

  test('node-health of a VNF nobody deployed is not_found', async () => {
    expect((await sys.raw(Query.Subject.nodeHealth, { vnf: 'nobody' })).error).toMatchObject({ code: 404, err_code: 'not_found' });
  });

  test(
    'vnfctl list, status, status <vnf> and ops read them all',
    async () => {
      const list = await vnfctl(['list']);
      expect(list).toMatchObject({ code: 0, stderr: '' });
      expect(
        list.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)[0]),
      ).toEqual([...names].sort());
      expect(list.stdout).toMatch(/^web\s+INSTANTIATED\s+pad 0\/0, backend 2\/2, frontend 1\/1$/m);

      const status = await vnfctl(['--json', 'status']);
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as Query.VnfSummary[]).map((v) => v.name)).toEqual([...names].sort());
      const text = await vnfctl(['status']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^ {2}backend {2}2\/2 nodes {2}runs v1 x2 {2}depends on: -$/m);

      const one = await vnfctl(['status', 'web']);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/web-backend-2 +http:\/\//);

      const ops = await vnfctl(['--json', 'ops']);
      expect(ops.code).toBe(0);
      expect(JSON.parse(ops.stdout)).toHaveLength(COUNT);
    },
    T,
  );
});

describe('operation records with many steps', () => {
  test(
    'keep their older steps in pages apart: the head stays small, op-get gives every step in order',
    async () => {
      const [summary] = await sys.ops('big-03');
      const { op, omittedSteps } = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: summary.id });
      expect(omittedSteps).toBeUndefined();
      expect(op.steps).toHaveLength(summary.steps);
      // two steps a cluster (activate, notify), the clusters in order, each key once
      expect(op.steps.filter((x) => x.key.endsWith('/activate')).map((x) => x.cluster)).toEqual(
        Array.from({ length: 64 }, (_, i) => `c${String(i).padStart(2, '0')}`),
      );
      expect(new Set(op.steps.map((x) => x.key)).size).toBe(op.steps.length);

      const kvm = new Kvm(sys.nc);
      const head = (await (await kvm.open(Access.Bucket.ops)).get(summary.id))!.json<Records.OpRecord & { stepPages: Records.StepPage[] }>();
      expect(head.stepPages.length).toBeGreaterThan(3);
      expect(Buffer.byteLength(JSON.stringify(head.steps))).toBeLessThanOrEqual(STEP_PAGE);
      const pages = await kvm.open(Access.Bucket.opSteps);
      for (const p of head.stepPages) {
        const steps = (await pages.get(p.key))!.json<Records.StepRecord[]>();
        expect(steps).toHaveLength(p.count);
        // a step bigger than a page has one of its own (c00's activation carries its padded spec back)
        if (p.count > 1) expect(Buffer.byteLength(JSON.stringify(steps))).toBeLessThanOrEqual(STEP_PAGE);
      }
      expect(head.steps.length + head.stepPages.reduce((n, p) => n + p.count, 0)).toBe(op.steps.length);
    },
    T,
  );
});

describe('a descriptor above the limit', () => {
  const state = async () => ({ vnfs: await sys.vnfs(), ops: await sys.ops(), hosts: (await sys.hosts()).map((h) => h.node).sort() });

  test('one byte over is refused at deploy, naming the limit, and changes nothing', async () => {
    const before = await state();
    const r = await sys.raw(Deploy.Subject, { descriptor: big('big-over', Descriptor.MAX_DESCRIPTOR_BYTES + 1) });
    expect(r.error).toMatchObject({
      code: 422,
      err_code: 'invalid_descriptor',
      description: `/: is ${Descriptor.MAX_DESCRIPTOR_BYTES + 1} bytes as JSON, over the limit of ${Descriptor.MAX_DESCRIPTOR_BYTES} (MAX_DESCRIPTOR_BYTES)`,
    });
    // and so for a VNF that exists: web grown by a byte
    expect((await sys.raw(Deploy.Subject, { descriptor: web(Descriptor.MAX_DESCRIPTOR_BYTES + 1) })).error).toMatchObject({ err_code: 'invalid_descriptor' });
    expect(await state()).toEqual(before);
  });

  test('vnfctl deploy shows the error and exits 1', async () => {
    const file = join(sys.dir, 'over.json');
    writeFileSync(file, JSON.stringify(big('big-over', Descriptor.MAX_DESCRIPTOR_BYTES + 1)));
    const r = await vnfctl(['deploy', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`over the limit of ${Descriptor.MAX_DESCRIPTOR_BYTES}`);
    expect((await sys.raw(Query.Subject.vnfGet, { vnf: 'big-over' })).error).toMatchObject({ err_code: 'not_found' });
  });

  test('an upgrade whose new app would take the descriptor past the limit is refused too', async () => {
    const before = await state();
    const app = { ...web().clusters[1].app, version: 'v9', env: { PAD: 'y'.repeat(1000) } };
    const r = await sys.raw(Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', app });
    expect(r.error).toMatchObject({
      err_code: 'invalid_descriptor',
      description: expect.stringContaining(`over the limit of ${Descriptor.MAX_DESCRIPTOR_BYTES}`),
    });
    expect(await state()).toEqual(before);
  });
});

describe('every service killed and started again', () => {
  test(
    'they come back, list everything, and the VIM removes an orphan but none of the real hosts',
    async () => {
      const before = { vnfs: await sys.vnfs(), ops: await sys.ops() };
      for (const s of ['orchestrator', 'vnfm', 'vim-adapter'] as const) await sys.kill(s);
      for (const s of ['orchestrator', 'vnfm', 'vim-adapter'] as const) sys.startService(s);
      await sys.waitReady(60_000);
      expect(await sys.vnfs(7)).toEqual(before.vnfs);
      expect(await sys.ops(undefined, 7)).toEqual(before.ops);
      const web = before.ops.find((o) => o.vnf === 'web')!;
      expect((await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: web.id })).op.steps).toHaveLength(web.steps);

      // a host of a known VNF that no record lists: the orphan check must see and remove it
      const stray = await sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf: 'big-01', cluster: 'c00', node: 'big-01-c00-99' });
      for (const deadline = Date.now() + 30_000; (await sys.hosts()).some((h) => h.node === stray.node); ) {
        if (Date.now() > deadline) throw new Error('the orphan was not removed');
        await sleep(200);
      }
      // some more rounds: the real hosts stay, the same processes
      await sleep(GRACE_MS + 3 * ROUND_MS);
      expect((await sys.hosts()).map((h) => [h.node, h.pid]).sort()).toEqual(webHosts.map((h) => [h.node, h.pid]).sort());
      const removed = readFileSync(join(sys.dir, 'vim-adapter.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('orphan host removed'))
        .map((l) => (JSON.parse(l) as { node: string }).node);
      expect(removed).toEqual(['big-01-c00-99']);
      expect(Object.values((await sys.vnf('web')).nodes).flat()).toHaveLength(3);
    },
    T,
  );
});
