import { Agent, Lifecycle, Query, Vim } from '@vnf-lcm/contracts';
import { slowBackend } from './support/examples.js';
import { waitDead } from './support/procs.js';
import { System } from './support/system.js';

/**
 * An agent that is away while its cluster changes (killed, then started again in place) misses
 * the reconfiguration: the VNFM goes on without it. Started again, it holds the membership of its
 * state file; the VNFM tells it the current one at its next heartbeat.
 */
// the killed node is not healed meanwhile: its silence never counts as a failure here
const sys = new System(47, { VNFM_FAILURE_MS: '60000' });
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an agent started again after missing a join is told the members it missed', async () => {
  // the new node's application takes 1.5 s to start: its join comes while the agent below is away
  expect((await sys.deploy(slowBackend('miss', 2, 1500, 3))).state).toBe('COMPLETED');
  const [first] = (await sys.vnf('miss')).nodes.backend;
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'miss', cluster: 'backend', by: 1 });

  // the first node's agent goes while the new node's application starts (its own keeps running)...
  const host = (await sys.hosts('miss')).find((h) => h.node === first.node)!;
  process.kill(host.pid!, 'SIGKILL');
  expect(await waitDead(host.pid!)).toBe(true);
  // ...and comes back, in place, only once the new node has joined without it
  const joined = async () => (await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: r.op })).op.steps.some((s) => s.key === '1/join');
  for (let i = 0; i < 400 && !(await joined()); i++) await sleep(25);
  expect(await joined()).toBe(true);
  await sys.req(Vim.subject(Vim.Verb.hostActivate, host.zone), { vnf: 'miss', cluster: host.cluster, node: host.node }, 20_000);
  expect((await sys.waitOp(r.op)).state).toBe('COMPLETED');

  const members = (await sys.vnf('miss')).nodes.backend.map((n) => n.node).sort();
  expect(members).toHaveLength(3);
  let told: string[] = [];
  for (let i = 0; i < 100; i++) {
    const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, first.node), {}).catch(() => undefined);
    told = (s?.members ?? []).map((m) => m.node).sort();
    if (told.length === members.length) break;
    await sleep(100);
  }
  expect(told).toEqual(members);
  // and it still serves: its application was adopted, not started again
  expect((await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, first.node), {})).app.state).toBe('running');
}, 90_000);
