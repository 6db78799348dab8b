import { jetstreamManager } from '@nats-io/jetstream';
import { Agent, Lifecycle, Query, Vnfm, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { waitJetStreamCluster, type NatsServer } from './support/nats-server.js';
import { diagram, fits, withoutRepeats } from './support/seqcheck.js';
import { connectionsOn, hostProcesses, httpGet, System } from './support/system.js';

/**
 * Issue 12.6: vnf-lcm on a secured three-server NATS cluster (routes on 127.0.0.1, every stream
 * and bucket with three replicas, every service given the three URLs). A server killed with -9
 * in the middle of an operation takes neither the operation nor any record with it.
 */
const sys = new System(73, { AO_LEASE_MS: '1200' }, { cluster: true });
beforeAll(() => sys.start(), 90_000);
afterAll(() => sys.stop(), 60_000);

const descriptor = (name: string) =>
  example('web', (d) => {
    d.name = name;
    d.clusters[0].nodes = 2;
    d.clusters[1].nodes = 1;
  });

const live = (s: NatsServer) => s.proc.exitCode === null && s.proc.signalCode === null;

/** the server the named client is connected to (each server's /connz lists only its own clients) */
async function serverOf(name: string): Promise<NatsServer | undefined> {
  for (const s of sys.natsServers.filter(live)) if ((await connectionsOn(s)).some((c) => c.name === name)) return s;
  return undefined;
}

async function waitSteps(op: string, n: number): Promise<Records.OpRecord> {
  for (;;) {
    const { op: r } = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op });
    if (r.steps.length >= n || !['STARTING', 'PROCESSING'].includes(r.state)) return r;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** every stream (the trace, the events, each KV bucket) and the replicas the cluster keeps of it */
async function streams(): Promise<{ name: string; replicas: number; current: number }[]> {
  const jsm = await jetstreamManager(sys.nc);
  const out: { name: string; replicas: number; current: number }[] = [];
  for await (const si of jsm.streams.list()) {
    const followers = si.cluster?.replicas ?? [];
    // the leader and every follower the leader sees as current
    out.push({ name: si.config.name, replicas: si.config.num_replicas, current: 1 + followers.filter((r) => r.current && !r.offline).length });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Until every stream answers: a stream whose leader was on the killed server answers nothing until
 * its followers elected another (seconds), and a read of it meanwhile times out (docs/cluster.md).
 */
async function streamsLed(names: string[]) {
  // no account info asked first: the meta leader may be being elected again too
  const jsm = await jetstreamManager(sys.nc, { timeout: 1000, checkAPI: false });
  for (const name of names)
    for (let until = Date.now() + 60_000; ; ) {
      if (
        await jsm.streams.info(name).then(
          () => true,
          () => false,
        )
      )
        break;
      if (Date.now() > until) throw new Error(`stream ${name} has no leader`);
    }
}

const STREAMS = ['KV_ao-ops', 'KV_ao-vnfs', 'KV_ao-cancels', 'KV_vnfm-clusters', 'VNF_TRACE', 'VNF_EVENTS'];

let deployOp: string;

test('three servers routed to each other keep every stream and bucket three times', async () => {
  expect(sys.natsServers).toHaveLength(3);
  const dep = await sys.deploy(descriptor('clu'));
  expect(dep.state).toBe('COMPLETED');
  deployOp = dep.id;
  const all = await streams();
  expect(all.map((s) => s.name)).toEqual(expect.arrayContaining(STREAMS));
  for (const s of all) expect(s).toMatchObject({ replicas: 3, current: 3 });
  // every service is somewhere in the cluster, not necessarily on the first server
  for (const name of ['orchestrator', 'vnfm', 'vim-adapter']) expect(await serverOf(name)).toBeDefined();
});

test('kill -9 of the server the orchestrator is connected to, in the middle of a scale-out: it completes and fits, and no record is lost', async () => {
  const before = await sys.vnf('clu');
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'clu', cluster: 'backend', by: 1 });
  const mid = await waitSteps(r.op, 4);
  expect(mid.state).toBe('PROCESSING');
  const victim = (await serverOf('orchestrator'))!;
  expect(victim).toBeDefined();
  const exited = new Promise((ok) => victim.proc.once('exit', ok));
  victim.proc.kill('SIGKILL');
  await exited;

  const op = await sys.waitOp(r.op);
  expect(op.state).toBe('COMPLETED');
  await streamsLed(STREAMS);
  // no step recorded twice (each step's key is its own)
  expect(new Set(op.steps.map((s) => s.key)).size).toBe(op.steps.length);
  const raw = await sys.trace(r.op);
  const fit = fits(diagram('scale-out'), withoutRepeats(raw));
  if (!fit.ok) console.log(raw, fit);
  expect(fit).toMatchObject({ ok: true });

  // the orchestrator went on through another server
  const now = await serverOf('orchestrator');
  expect(now).toBeDefined();
  expect(now).not.toBe(victim);

  // what was stored before the kill is all still there, on the two servers left
  const v = await sys.vnf('clu');
  expect(v.state).toBe('INSTANTIATED');
  expect(v.nodes.backend).toHaveLength(3);
  expect(v.nodes.backend.map((n) => n.node)).toEqual(expect.arrayContaining(before.nodes.backend.map((n) => n.node)));
  const deployed = await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op: deployOp });
  expect(deployed.op.state).toBe('COMPLETED');
  expect(fits(diagram('deployment'), await sys.trace(deployOp))).toMatchObject({ ok: true });
  const {
    clusters: [cluster],
  } = await sys.req<Vnfm.ClusterListReply>(Vnfm.Subject.clusterGet, { vnf: 'clu', cluster: 'backend' });
  expect(cluster.members.map((m) => m.node).sort()).toEqual(v.nodes.backend.map((n) => n.node).sort());

  // and the new backend serves through the frontend
  const f = v.nodes.frontend[0];
  const ups = ((await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string }[]).map((u) => u.node).sort();
  expect(ups).toEqual(v.nodes.backend.map((n) => n.node).sort());
  for (const n of v.nodes.backend) expect((await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {})).app.state).toBe('running');
  const nodes = Object.values(v.nodes)
    .flat()
    .map((n) => n.node)
    .sort();
  expect(hostProcesses(sys.dir)).toEqual({ agents: nodes, apps: nodes });

  // the killed server back on its store: it catches up, and every stream is whole again
  await victim.restart();
  await waitJetStreamCluster(sys.natsServers);
  for (let i = 0; ; i++) {
    const all = await streams().catch(() => []);
    if (all.length >= STREAMS.length && all.every((s) => s.current === 3)) break;
    if (i > 100) throw new Error(`replicas not current again: ${JSON.stringify(all)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});
