import { readFileSync } from 'node:fs';
import { createRequest, eachNode, healthApp } from '../../../test/support/agent-node.js';
import { createStep } from './app-manager.js';
import { emptyState, type AgentState } from './state.js';

const ADDRESS = '127.0.71.1';
const member = (node: string, port = 9000) => ({ node, address: '127.0.71.200', port });

describe('createStep: what a create request does to the node', () => {
  const p = createRequest(healthApp(18101), { members: [member('a')] });
  const recorded = (o: Partial<AgentState> = {}): AgentState => ({
    ...emptyState(),
    ...{ vnf: p.vnf, cluster: p.cluster, app: p.app, health: p.health, members: p.members, endpoints: p.endpoints, state: 'stopped' },
    ...o,
  });

  test('nothing created yet: a new application', () => {
    expect(createStep(emptyState(), p, false)).toEqual({ kind: 'new' });
  });

  test('the same spec, not running: recorded as it is', () => {
    expect(createStep(recorded(), p, false)).toEqual({ kind: 'same' });
    // members and endpoints are config, not spec
    expect(createStep(recorded({ members: [] }), p, false)).toEqual({ kind: 'same' });
  });

  test('another version, health check or cluster, not running: a new application', () => {
    expect(createStep(recorded({ app: { ...p.app, version: 'v0' } }), p, false)).toEqual({ kind: 'new' });
    expect(createStep(recorded({ health: undefined }), p, false)).toEqual({ kind: 'new' });
    expect(createStep(recorded({ cluster: 'frontend' }), p, false)).toEqual({ kind: 'new' });
    expect(createStep(recorded({ state: 'absent' }), p, false)).toEqual({ kind: 'new' });
  });

  test('running: only the config, reloaded only when members or endpoints changed', () => {
    expect(createStep(recorded({ state: 'running' }), p, true)).toEqual({ kind: 'config-only', otherSpec: false, reload: false });
    expect(createStep(recorded({ state: 'running', members: [] }), p, true)).toEqual({ kind: 'config-only', otherSpec: false, reload: true });
    const other = { ...p, app: { ...p.app, version: 'v2' }, endpoints: { db: [member('d')] } };
    expect(createStep(recorded({ state: 'running' }), other, true)).toEqual({ kind: 'config-only', otherSpec: true, reload: true });
  });
});

describe('AppManager: create is idempotent (a real application)', () => {
  const node = eachNode('n1', ADDRESS);
  const config = () => JSON.parse(readFileSync(node.n.paths.config, 'utf8'));

  test('the same create again changes nothing, before and after a start', async () => {
    const { n } = node;
    const apps = node.manager();
    const p = createRequest(healthApp(18102));
    expect((await apps.create(p, 'op-1')).app).toEqual({ state: 'created', version: 'v1', port: 18102 });
    expect((await apps.create(p, 'op-2')).app).toEqual({ state: 'created', version: 'v1', port: 18102 });
    expect(n.logged('application created')).toHaveLength(1);

    const started = await apps.start('op-3');
    expect(started.app).toMatchObject({ state: 'running', healthy: true, pid: expect.any(Number) });
    expect(await apps.create(p, 'op-4')).toEqual(started);
    expect(await apps.start('op-5')).toEqual(started);
    expect(n.logged('application spawned')).toHaveLength(1);
  });

  test('another spec while running: the same process, only its members and endpoints change', async () => {
    const { n } = node;
    const apps = node.manager();
    await apps.create(createRequest(healthApp(18103)), 'op-1');
    const { app } = await apps.start('op-2');
    const other = createRequest(healthApp(18104, { version: 'v2' }), { members: [member('a')], endpoints: { db: [member('d', 5432)] } });
    const after = await apps.create(other, 'op-3');
    expect(after.app).toEqual(app);
    expect(after.members).toEqual([member('a')]);
    expect(after.endpoints).toEqual({ db: [member('d', 5432)] });
    expect(config()).toMatchObject({ version: 'v1', port: 18103, members: [member('a')], endpoints: { db: [member('d', 5432)] } });
    expect(n.logged('application is running with another spec; only its config is updated')).toEqual([expect.objectContaining({ op: 'op-3' })]);
  });

  test('stopped: the same spec keeps the state and start count, another one starts afresh as created', async () => {
    const { n } = node;
    const apps = node.manager();
    const p = createRequest(healthApp(18105));
    await apps.create(p, 'op-1');
    await apps.start('op-2');
    await apps.stop('op-3');
    await apps.start('op-4');
    expect((await apps.stop('op-5')).app).toEqual({ state: 'stopped', version: 'v1', port: 18105, restarts: 1 });
    expect((await apps.create(p, 'op-6')).app).toEqual({ state: 'stopped', version: 'v1', port: 18105, restarts: 1 });
    const v2 = createRequest(healthApp(18105, { version: 'v2' }));
    expect((await apps.create(v2, 'op-7')).app).toEqual({ state: 'created', version: 'v2', port: 18105 });
  });
});

describe('AppManager: a starting application is asked often, whatever its check interval', () => {
  const node = eachNode('n1', ADDRESS);

  test('with a 5 s interval, an application healthy after 300 ms is asked many times in its first second, not twice', async () => {
    const { n } = node;
    const apps = node.manager();
    // unhealthy (503) for its first 300 ms; counts the health requests it got until healthy
    const app = `const t0=Date.now();let asked=0;require('node:http').createServer((q,r)=>{asked++;const ok=Date.now()-t0>=300;r.writeHead(ok?200:503);r.end(ok?JSON.stringify({asked}):'')}).listen(+process.env.VNF_PORT,process.env.VNF_ADDRESS)`;
    const p = createRequest(healthApp(18106, { args: ['-e', app] }), { health: { http: '/health', intervalMs: 5_000 } });
    await apps.create(p, 'op-1');
    const started = await apps.start('op-2');
    expect(started.app).toMatchObject({ state: 'running', healthy: true });
    const { asked } = JSON.parse(await (await fetch(`http://${ADDRESS}:18106/health`)).text());
    // one probe at the spawn and one 5 s later would be 2
    expect(asked).toBeGreaterThanOrEqual(5);
    expect(n.logged('application spawned')).toHaveLength(1);
  });
});
