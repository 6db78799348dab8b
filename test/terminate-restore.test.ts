import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Lifecycle, Query, type Descriptor, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { ROOT, System } from './support/system.js';

const sys = new System(82);
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

/**
 * `mixed`: a backend of two nodes whose application is the example backend, slow to stop (a
 * removal takes seconds: a cancel lands in it), and never healthy on the one node FAIL_NODE
 * names. Node ids are never reused, so that node is known before it exists: an upgrade and a
 * migration each stop with their second new node, leaving the cluster mixed on purpose.
 */
function mixed(): Descriptor.VnfDescriptor {
  writeFileSync(
    join(sys.dir, 'picky.mjs'),
    `if (process.env.VNF_NODE === process.env.FAIL_NODE) process.env.BACKEND_UNHEALTHY = '1';\nawait import('${join(ROOT, 'test/fixtures/apps/slow-stop.mjs')}');\n`,
  );
  return example('web', (d) => {
    d.name = 'mixed';
    const b = d.clusters.find((c) => c.name === 'backend')!;
    const app = (version: string, fail: string): Descriptor.AppSpec => ({
      ...b.app,
      version,
      args: ['picky.mjs'],
      cwd: sys.dir,
      env: { STOP_DELAY_MS: '1500', FAIL_NODE: `mixed-backend-${fail}` },
    });
    d.clusters = [{ ...b, nodes: 2, app: app('v1', '6'), versions: [app('v2', '4')], health: { ...b.health!, timeoutMs: 1500 } }];
  });
}

/** Runs a rolling operation that stops at its unhealthy node (no rollback), then fails it there. */
async function stopHalfWay(subject: string, body: object): Promise<void> {
  const r = await sys.req<Lifecycle.Reply>(subject, { vnf: 'mixed', cluster: 'backend', rollback: false, ...body });
  const stopped = await sys.waitOp(r.op);
  expect({ state: stopped.state, error: stopped.error?.description }).toEqual({ state: 'FAILED_TEMP', error: expect.stringMatching(/healthy/) });
  await sys.req(Query.Action.fail, { op: r.op });
  expect((await sys.waitOp(r.op)).state).toBe('FAILED');
}

const like = (v: Records.VnfRecord) => v.nodes.backend.map((n) => [n.version, n.zone]).sort();

test('a terminate cancelled puts back each node as it was: its own version and zone, not the cluster defaults', async () => {
  expect((await sys.deploy(mixed())).state).toBe('COMPLETED');
  // an upgrade stopped after one node: v2 beside v1; a migration stopped after one node: one in edge
  await stopHalfWay(Lifecycle.Subject.upgrade, { version: 'v2' });
  await stopHalfWay(Lifecycle.Subject.migrate, { zone: 'edge' });
  const v0 = await sys.vnf('mixed');
  expect(like(v0)).toEqual([
    ['v1', 'edge'],
    ['v2', 'local'],
  ]);
  // the cluster's own app and zone, what a node put back would get by default, are neither
  expect(v0.descriptor.clusters[0]).toMatchObject({ app: { version: 'v1' } });
  // (deployment wrote the default zone into the record: ADR 26)
  expect(v0.descriptor.clusters[0].zone).toBe('local');

  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.terminate, { vnf: 'mixed' });
  // both nodes have left the cluster; the second is still stopping (1.5 s): cancel now
  for (let until = Date.now() + 60_000; ; await new Promise((x) => setTimeout(x, 20))) {
    const { op } = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: r.op });
    if (op.steps.some((s) => s.key === 'backend/2/leave')) break;
    if (Date.now() > until || !['STARTING', 'PROCESSING'].includes(op.state))
      throw new Error(`no second removal seen: ${op.state} ${op.steps.map((s) => s.key).join(' ')}`);
  }
  await sys.req(Query.Action.cancel, { op: r.op, then: 'rollback' });
  const done = await sys.waitOp(r.op, 120_000);
  expect({ state: done.state, err: done.error?.err_code }).toEqual({ state: 'ROLLED_BACK', err: 'cancelled' });

  const v = await sys.vnf('mixed');
  expect(v.state).toBe('INSTANTIATED');
  const removed = v0.nodes.backend.map((n) => n.node);
  expect(v.nodes.backend.filter((n) => removed.includes(n.node))).toEqual([]);
  expect(like(v)).toEqual(like(v0));
  // and so do the nodes themselves: the application each runs, the range its address is from
  for (const n of v.nodes.backend) {
    expect((await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {})).app.version).toBe(n.version);
    expect(Number(n.address.split('.')[2]) >= 128).toBe(n.zone === 'edge');
  }
});
