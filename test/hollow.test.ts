import { join } from 'node:path';
import { Agent, Vim } from '@vnf-lcm/contracts';
import { ROOT, System } from './support/system.js';

/**
 * The hollow mode of bench/scale.mjs stays working: a VNF deployed on the `hollow` zone gets its
 * hosts from the hollow driver, whose one process answers every node's real agent subjects and
 * heartbeats on them without spawning an application; a hollow node that dies is healed as a real
 * one. Open server: hollow mode needs one (one connection answers for every node).
 */
const N = 20;
const sys = new System(69, {}, { auth: false, hollowZone: true });
const descriptor = {
  name: 'hollow',
  clusters: [
    {
      name: 'many',
      nodes: N,
      max: 100,
      zone: 'hollow',
      app: { version: 'v1', command: 'node', args: ['backend.mjs'], cwd: join(ROOT, 'examples/apps'), port: 8080, reload: { signal: 'SIGHUP' } },
      health: { http: '/health', intervalMs: 50, timeoutMs: 10_000 },
    },
  ],
};

beforeAll(async () => {
  await sys.start();
}, 60_000);

afterAll(async () => {
  await sys.stop();
}, 60_000);

test('20 hollow nodes deploy as one VNF, each answering on its real agent subjects', async () => {
  const op = await sys.deploy(descriptor);
  expect(op.state).toBe('COMPLETED');
  const vnf = await sys.vnf('hollow');
  const nodes = vnf.nodes.many;
  expect(nodes).toHaveLength(N);
  const hosts = (await sys.hosts()).filter((h) => h.zone === 'hollow');
  expect(hosts).toHaveLength(N);
  expect(new Set(hosts.map((h) => h.address)).size).toBe(N);
  expect(hosts.every((h) => h.driver === 'hollow' && h.state === 'running' && new RegExp(`^127\\.${sys.octet}\\.(19[2-9]|2\\d\\d)\\.`).test(h.address))).toBe(
    true,
  );
  // the agent's own reply shape: the application running, the full membership known
  const st = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, nodes[0].node), {});
  expect(st).toMatchObject({ node: nodes[0].node, vnf: 'hollow', cluster: 'many', app: { state: 'running', version: 'v1', port: 8080 } });
  expect(st.members.map((m) => m.node).sort()).toEqual(nodes.map((n) => n.node).sort());
  // a request that does not fit the agent's schema is refused as the real agent refuses it
  const bad = await sys.raw(Agent.subject(Agent.Verb.clusterReconfigure, nodes[0].node), { members: 'all' });
  expect(bad.error).toMatchObject({ err_code: 'invalid_request' });
  // no application was spawned: nothing listens on a node's address and port
  await expect(fetch(`http://${nodes[0].address}:8080/health`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
}, 120_000);

test('a hollow node that dies is reported down and healed by a new one', async () => {
  const before = (await sys.vnf('hollow')).nodes.many;
  const victim = before[3].node;
  const downs: string[] = [];
  sys.nc.subscribe(Vim.hostDown(victim), { callback: () => void downs.push(victim) });
  const killed = await sys.req<{ found: boolean }>(Agent.HollowControl.kill('hollow'), { node: victim });
  expect(killed.found).toBe(true);
  const healing = await sys.healingOf('hollow', victim);
  expect((await sys.waitOp(healing.id)).state).toBe('COMPLETED');
  expect(downs).toEqual([victim]);
  const after = (await sys.vnf('hollow')).nodes.many;
  expect(after).toHaveLength(N);
  expect(after.map((n) => n.node)).not.toContain(victim);
  const fresh = after.find((n) => !before.some((b) => b.node === n.node))!;
  const st = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, fresh.node), {});
  expect(st.app.state).toBe('running');
  expect(st.members).toHaveLength(N);
  // the dead node answers no more: its subjects are gone with it
  await expect(sys.nc.request(Agent.subject(Agent.Verb.status, victim), '{}', { timeout: 500 })).rejects.toThrow();
}, 120_000);
