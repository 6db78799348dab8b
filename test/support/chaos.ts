import { Agent, Deploy, Lifecycle, Query, Vim, type Descriptor, type Records } from '@vnf-lcm/contracts';
import { example } from './examples.js';
import { diagram, fits, withoutRepeats } from './seqcheck.js';
import { hostProcesses, httpGet, type System } from './system.js';

/**
 * What the two chaos matrices share (test/chaos/matrix.test.ts kills services and agents,
 * test/chaos-docker/docker.test.ts kills containers): the VNF each case runs, how an algorithm is
 * begun and its middle waited for, when the VNF is at rest afterwards, and what "ends as an
 * undisturbed run leaves it" means.
 */

export type Algorithm = 'deployment' | 'scale-out' | 'scale-in' | 'healing' | 'upgrade' | 'migrate' | 'terminate';

/** short names, for the VNF a case deploys */
export const ALGO: Record<Algorithm, string> = {
  deployment: 'dep',
  'scale-out': 'out',
  'scale-in': 'in',
  healing: 'heal',
  upgrade: 'upg',
  migrate: 'mig',
  terminate: 'term',
};

/** an operation still going forward (not rolling back, not ended) */
export const ACTIVE: readonly string[] = ['STARTING', 'PROCESSING'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withVersion = (a: Descriptor.AppSpec, v: string): Descriptor.AppSpec => ({ ...a, version: v });

/**
 * Two backends (with a v2 to upgrade to) behind one frontend; `backend` changes the backend
 * cluster before its v2 is made from its app (a zone, another kind of host).
 */
export const twoBackends = (name: string, backend?: (b: Descriptor.ClusterSpec) => void) =>
  example('web', (d) => {
    const [b, f] = d.clusters;
    d.name = name;
    b.nodes = 2;
    backend?.(b);
    b.versions = [withVersion(b.app, 'v2')];
    f.nodes = 1;
  });

/**
 * Starts the operation under test on `descriptor`'s VNF; the VNF is deployed first unless
 * deployment is the test. A migration moves the backend to `migrateTo`.
 */
export async function begin(sys: System, descriptor: Descriptor.VnfDescriptor, algorithm: Algorithm, migrateTo: string): Promise<string> {
  if (algorithm === 'deployment') return (await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor })).op;
  const name = descriptor.name;
  const deployed = await sys.deploy(descriptor);
  expect(deployed.state).toBe('COMPLETED');
  const v = await sys.vnf(name);
  const [subject, body] = {
    'scale-out': [Lifecycle.Subject.scaleOut, { vnf: name, cluster: 'backend', by: 1 }],
    'scale-in': [Lifecycle.Subject.scaleIn, { vnf: name, cluster: 'backend', by: 1 }],
    healing: [Lifecycle.Subject.heal, { vnf: name, node: v.nodes.backend[0].node }],
    upgrade: [Lifecycle.Subject.upgrade, { vnf: name, cluster: 'backend', version: 'v2' }],
    migrate: [Lifecycle.Subject.migrate, { vnf: name, cluster: 'backend', zone: migrateTo }],
    terminate: [Lifecycle.Subject.terminate, { vnf: name }],
  }[algorithm] as [string, object];
  return (await sys.req<Lifecycle.Reply>(subject, body)).op;
}

/**
 * Terminates a case's VNF once it has been checked, so that every case starts on the same
 * machine: 20 trials of each algorithm left running were about 700 processes on 2 cores (load
 * average 60), and the later trials measured the load rather than the restart.
 */
export async function release(sys: System, name: string): Promise<void> {
  const { op } = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.terminate, { vnf: name });
  const done = await sys.waitOp(op);
  expect({ released: name, state: done.state }).toEqual({ released: name, state: 'COMPLETED' });
}

/** Polls vnf.ao.op-get until the operation recorded `n` steps (or is no longer going forward). */
export async function waitSteps(sys: System, op: string, n: number): Promise<Records.OpRecord> {
  for (;;) {
    const { op: r } = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op });
    if (r.steps.length >= n || !ACTIVE.includes(r.state)) return r;
    await sleep(20);
  }
}

/** The nodes the operation is taking away by now: a kill there would test nothing. */
export const leavingNodes = (r: Records.OpRecord) =>
  new Set(r.steps.filter((s) => /scale-in cluster|record node removal|destroy application|remove/.test(s.label)).map((s) => s.node));

export const nodesOf = (v: Records.VnfRecord) => Object.values(v.nodes).flat();

/**
 * Waits until the VNF is at rest (no operation of it running or rolling back, no active operation,
 * `down` names no node) for longer than the VNFM takes to see a silent node (VNFM_FAILURE_MS), so
 * that a healing still to be asked for is asked first. The VIM reports a dead agent or container at
 * once (ADR 17): the VNFM may ask to heal the killed node, refused while the operation runs and
 * accepted once it ended. Returns the operations of the VNF begun after `op`.
 */
export async function settle(
  sys: System,
  name: string,
  op: Records.OpRecord,
  down: (v: Records.VnfRecord, hosts: Vim.HostInfo[]) => Promise<string[]> | string[],
  timeoutMs = 30_000,
): Promise<Query.OpSummary[]> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  for (;;) {
    const [v, { ops }, { hosts }] = await Promise.all([
      sys.vnf(name),
      sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: name }),
      sys.hosts(name).then((hosts) => ({ hosts })),
    ]);
    const busy = ops.filter((o) => [...ACTIVE, 'ROLLING_BACK'].includes(o.state)).map((o) => `${o.algorithm} ${o.state}`);
    const gone = await down(v, hosts);
    if (busy.length || v.activeOp || gone.length) quietSince = undefined;
    else if ((quietSince ??= Date.now()) + 2_500 <= Date.now()) return ops.filter((o) => o.id !== op.id && o.startedAt >= op.startedAt);
    if (Date.now() > deadline)
      throw new Error(`${name} did not come to rest: busy: ${busy.join(', ') || '-'}; activeOp: ${v.activeOp ?? '-'}; down: ${gone.join(', ') || '-'}`);
    await sleep(200);
  }
}

/** The nodes of the record whose host is not running. */
export const hostsDown = (v: Records.VnfRecord, hosts: Vim.HostInfo[]) =>
  nodesOf(v)
    .filter((n) => hosts.find((h) => h.node === n.node)?.state !== 'running')
    .map((n) => n.node);

/** What an undisturbed run of the algorithm leaves of the backend (the frontend: one v1 node, local). */
export interface EndState {
  backend: number;
  version: string;
  zone: string;
}

/**
 * What an undisturbed run of each algorithm leaves of twoBackends' backend, in `zone` (where the
 * test's backend ends: a migration's target); terminate leaves nothing.
 */
export function endState(algorithm: Exclude<Algorithm, 'terminate'>, zone: string): EndState {
  const backend = algorithm === 'scale-out' ? 3 : algorithm === 'scale-in' ? 1 : 2;
  return { backend, version: algorithm === 'upgrade' ? 'v2' : 'v1', zone };
}

/**
 * Node counts, versions, zones, every frontend sending to exactly the backends and every backend's
 * members, as undisturbed; none of `gone` (healed, so replaced) left. `appAnswers`: each backend's
 * application is also asked over HTTP which version it runs.
 */
export async function expectEndState(sys: System, name: string, end: EndState, gone: string[], o: { appAnswers?: boolean } = {}) {
  const v = await sys.vnf(name);
  expect(v).toMatchObject({ state: 'INSTANTIATED' });
  expect(v.activeOp).toBeUndefined();
  expect(v.nodes.backend).toHaveLength(end.backend);
  expect(v.nodes.frontend).toHaveLength(1);
  expect(v.nodes.backend.map((n) => [n.version, n.zone])).toEqual(Array(end.backend).fill([end.version, end.zone]));
  expect(v.nodes.frontend.map((n) => [n.version, n.zone])).toEqual([['v1', 'local']]);
  expect(v.descriptor.clusters[0].app.version).toBe(end.version);
  for (const g of gone) expect(v.nodes.backend.map((n) => n.node)).not.toContain(g);
  const backends = v.nodes.backend.map((n) => n.node).sort();
  for (const f of v.nodes.frontend) {
    const ups = (await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string }[];
    expect({ frontend: f.node, upstreams: ups.map((u) => u.node).sort() }).toEqual({ frontend: f.node, upstreams: backends });
  }
  for (const n of v.nodes.backend) {
    const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {});
    expect({ node: n.node, version: s.app.version, members: s.members.map((m) => m.node).sort() }).toEqual({
      node: n.node,
      version: end.version,
      members: backends,
    });
    if (o.appAnswers) expect((await httpGet(`http://${n.address}:${n.port}/`)).body).toMatchObject({ node: n.node, version: end.version });
  }
}

/**
 * The VIM's hosts of the VNF are exactly the record's nodes, and the process hosts' agents and
 * applications of this VNF exactly `processNodes` (node ids are <vnf>-<cluster>-<n>, and no VNF of
 * a matrix is named <other vnf>-backend or -frontend).
 */
export async function expectHostsAndProcesses(sys: System, name: string, processNodes: string[]) {
  const all = nodesOf(await sys.vnf(name))
    .map((n) => n.node)
    .sort();
  const hosts = await sys.hosts(name);
  expect(hosts.map((h) => h.node).sort()).toEqual(all);
  const ours = (n: string) => new RegExp(`^${name}-(backend|frontend)-\\d+$`).test(n);
  const { agents, apps } = hostProcesses(sys.dir);
  expect({ agents: agents.filter(ours), apps: apps.filter(ours) }).toEqual({ agents: processNodes, apps: processNodes });
}

/** What came after the operation: at most one healing, of the killed node, completed and fitting its diagram. */
export async function expectOnlyHealingOf(sys: System, killed: string | undefined, after: Query.OpSummary[]) {
  for (const o of after) {
    expect({ algorithm: o.algorithm, node: o.params.node, state: o.state }).toEqual({ algorithm: 'healing', node: killed, state: 'COMPLETED' });
    expect(fits(diagram('healing'), withoutRepeats(await sys.trace(o.id)))).toMatchObject({ ok: true });
  }
  expect(after.length).toBeLessThanOrEqual(1);
}
