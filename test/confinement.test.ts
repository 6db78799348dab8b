import { join } from 'node:path';
import { Agent, Lifecycle, Query, Vim } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { ROOT, System } from './support/system.js';

/**
 * Where an application may run and what environment it may get, past the deployment: an upgrade
 * carrying its own spec, and the agent itself when a spec reaches it without the orchestrator.
 */
const sys = new System(57, { VIM_ORPHAN_REMOVE: 'false' }); // the probe hosts below belong to no VNF
// as the test support sets it; said here as well, since the agent-side checks below depend on it
sys.env.VNF_APP_ROOTS = `${join(ROOT, 'examples')}:${sys.dir}`;
beforeAll(async () => {
  await sys.start();
  const op = await sys.deploy(example('web', (d) => d.clusters.forEach((c) => (c.nodes = 1))));
  expect(op.state).toBe('COMPLETED');
}, 120_000);
afterAll(() => sys.stop(), 60_000);

const status = (node: string) => sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, node), {});

describe('an upgrade carrying its app spec', () => {
  test.each([
    [{ cwd: '/etc' }, '/app/cwd', /outside every application root/],
    [{ cwd: '../../../../etc' }, '/app/cwd', /may not contain '\.\.'/],
    [{ env: { NODE_OPTIONS: '--require /tmp/evil.js' } }, '/app/env/NODE_OPTIONS', /NODE_OPTIONS is reserved/],
    [{ env: { LD_PRELOAD: '/tmp/evil.so' } }, '/app/env/LD_PRELOAD', /LD_\* is reserved/],
  ])('with %j is refused as invalid_descriptor naming %s, and nothing changes', async (change, field, message) => {
    const before = { vnf: await sys.vnf('web'), ops: (await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' })).ops };
    const app = { ...example('web').clusters[0].app, version: 'v9', ...change };
    const r = await sys.raw(Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', app });
    expect(r.error).toEqual({
      code: 422,
      err_code: 'invalid_descriptor',
      description: expect.stringContaining(`${field}: `),
      details: { issues: [{ field, message: expect.stringMatching(message) }] },
    });
    expect(await sys.vnf('web')).toEqual(before.vnf);
    expect((await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' })).ops).toEqual(before.ops);
  });
});

describe('the agent, asked directly', () => {
  const body = (node: string, change: object) => ({
    vnf: 'web',
    cluster: 'backend',
    app: { ...example('web').clusters[0].app, ...change },
    health: { http: '/health' },
    members: [{ node, address: '127.57.0.250', port: 8080 }],
    endpoints: {},
  });

  test.each([
    [{ cwd: '/' }, '/app/cwd'],
    [{ cwd: '/etc' }, '/app/cwd'],
    [{ cwd: '../../../../etc' }, '/app/cwd'],
    [{ cwd: join(ROOT, 'apps') }, '/app/cwd'],
    [{ env: { LD_PRELOAD: '/tmp/evil.so' } }, '/app/env/LD_PRELOAD'],
    [{ env: { NODE_OPTIONS: '--require /tmp/evil.js' } }, '/app/env/NODE_OPTIONS'],
  ])('refuses %j on a new host as invalid_request, creating and spawning nothing', async (change, field) => {
    const { node } = await sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf: 'probe', cluster: 'bad', node: 'probe-bad-1' });
    const r = await sys.raw(Agent.subject(Agent.Verb.appCreate, node), body(node, change));
    expect(r.error).toEqual({
      code: 400,
      err_code: 'invalid_request',
      description: expect.stringContaining(`${field}: `),
      details: { issues: [expect.objectContaining({ field })] },
    });
    expect((await status(node)).app).toEqual({ state: 'absent' });
    // nothing was created, so there is nothing to start
    expect((await sys.raw(Agent.subject(Agent.Verb.appStart, node), {})).error).toMatchObject({ err_code: 'conflict' });
    expect((await status(node)).app).toEqual({ state: 'absent' });
  });

  test('refuses it on a node whose application runs, which keeps running as it was', async () => {
    const node = (await sys.vnf('web')).nodes.backend[0].node;
    const before = await status(node);
    expect(before.app.state).toBe('running');
    const r = await sys.raw(Agent.subject(Agent.Verb.appCreate, node), body(node, { cwd: '/etc' }));
    expect(r.error).toMatchObject({ err_code: 'invalid_request', details: { issues: [expect.objectContaining({ field: '/app/cwd' })] } });
    expect(await status(node)).toEqual(before);
  });

  test('accepts a cwd in its roots (the test folder is one): the roots come from its own environment', async () => {
    const { node } = await sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf: 'probe', cluster: 'good', node: 'probe-good-1' });
    const r = await sys.raw(Agent.subject(Agent.Verb.appCreate, node), body(node, { cwd: join(sys.dir, 'anywhere') }));
    expect(r).toMatchObject({ node, app: { state: 'created' } });
  });
});
