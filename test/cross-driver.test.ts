import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Deploy, Lifecycle, type Descriptor, type Records } from '@vnf-lcm/contracts';
import { DockerClient, type ContainerSummary } from '../apps/vim-adapter/src/drivers/docker/client.js';
import { example } from './support/examples.js';
import { Load, type Sample } from './support/load.js';
import { envOf, findProcesses } from './support/procs.js';
import { count, diagram, fits } from './support/seqcheck.js';
import { hostProcesses, httpGet, ROOT, System } from './support/system.js';
import { dockerReady } from './support/docker.js';

/**
 * One cluster migrated between a process zone and a docker zone and back, under load through a
 * frontend that stays on process hosts, against a secured System and the real Docker Engine
 * (never skipped). The backend's app names its image and how a docker host runs it (`docker.cwd`,
 * a path in the image); the same descriptor runs on both kinds of host.
 */
const sys = new System(58, {}, { dockerZone: true });
const SCOPE = sys.dockerScope!;
/** the examples image under a tag of this run's own: the docker zone's default is :latest, so a container of this tag ran the app's image */
const IMAGE = `vnf-lcm/examples:${SCOPE}`;
const IMAGE_CWD = '/srv/examples/apps';
const MACHINE_CWD = join(ROOT, 'examples/apps');
const LOCAL = /^127\.58\.([0-9]|[1-9][0-9]|1[01][0-9]|12[0-7])\.\d{1,3}$/;
const BOX = /^127\.158\.\d{1,3}\.\d{1,3}$/;
const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
const docker = new DockerClient(SOCKET);

const ours = (): Promise<ContainerSummary[]> => docker.list([`vnf-lcm.scope=${SCOPE}`]);

async function removeOurContainers(): Promise<void> {
  const left = await ours().catch(() => []);
  await Promise.all(left.map((c) => docker.remove(c.Id, { force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  await dockerReady(docker, ROOT);
  execFileSync('docker', ['tag', 'vnf-lcm/examples:latest', IMAGE], { stdio: 'ignore' });
  await sys.start();
  const d = example('web', (d) => {
    const [b] = d.clusters;
    // a path on this machine for process hosts, a path in the image for docker hosts
    b.app = { ...b.app, cwd: MACHINE_CWD, image: IMAGE, docker: { cwd: IMAGE_CWD } };
  });
  expect((await sys.deploy(d)).state).toBe('COMPLETED');
}, 120_000);

afterAll(async () => {
  await sys.stop();
  await removeOurContainers();
  try {
    execFileSync('docker', ['rmi', IMAGE], { stdio: 'ignore' }); // the tag only: :latest keeps the image
  } catch {
    /* not made */
  }
}, 90_000);

async function underLoad(zone: string): Promise<{ op: Records.OpRecord; samples: Sample[] }> {
  const v = await sys.vnf('web');
  const load = new Load(() => v.nodes.frontend.map((n) => `http://${n.address}:${n.port}/`), 4, 120_000, 5);
  await new Promise((r) => setTimeout(r, 300));
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.migrate, { vnf: 'web', cluster: 'backend', zone });
  const op = await sys.waitOp(r.op);
  await new Promise((r) => setTimeout(r, 300));
  return { op, samples: await load.stop() };
}

/**
 * The backend migrated to `zone` under load: completed, no failed request, and its three nodes
 * in that zone, on addresses of its range. Returns what the caller checks further.
 */
async function migratedUnderLoad(zone: string, range: RegExp) {
  const { op, samples } = await underLoad(zone);
  expect(op.state).toBe('COMPLETED');
  expect(samples.length).toBeGreaterThan(100);
  expect(Load.failures(samples)).toEqual([]);
  const v = await sys.vnf('web');
  const nodes = v.nodes.backend.map((n) => n.node).sort();
  expect(nodes).toHaveLength(3);
  for (const n of v.nodes.backend) expect([n.zone, n.address]).toEqual([zone, expect.stringMatching(range)]);
  return { op, samples, v, nodes };
}

/** The working folder of each backend application of this System, by node, as the kernel says (a container's as seen inside it). */
function backendCwds(): Record<string, string> {
  const out: Record<string, string> = {};
  findProcesses((p) => {
    const node = envOf(p, 'VNF_NODE');
    const address = envOf(p, 'VNF_ADDRESS') ?? '';
    if (node?.startsWith('web-backend-') && envOf(p, 'VNF_CONFIG') && (LOCAL.test(address) || BOX.test(address)) && p.cmd.includes('backend.mjs'))
      out[node] = p.cwd;
    return false;
  });
  return out;
}

test('the backend, deployed on process hosts, runs in its machine cwd', async () => {
  const v = await sys.vnf('web');
  expect(v.nodes.backend.map((n) => n.zone)).toEqual(['local', 'local', 'local']);
  const nodes = v.nodes.backend.map((n) => n.node);
  expect(backendCwds()).toEqual(Object.fromEntries(nodes.map((n) => [n, MACHINE_CWD])));
  expect(await ours()).toEqual([]);
});

test('migrating the backend to the docker zone under load: no failed request, every node a container of its image', async () => {
  const before = await sys.vnf('web');
  const { op, samples, v, nodes } = await migratedUnderLoad('box', BOX);
  for (const n of v.nodes.backend) {
    // the frontend (a process host) reaches the container on its own loopback address
    expect((await httpGet(`http://${n.address}:${n.port}/`)).body).toMatchObject({ node: n.node, version: 'v1' });
  }
  // the last answers through the frontend came from the containers
  for (const s of samples.slice(-20)) expect(nodes).toContain(s.upstream);

  // every backend node is one running container of this System's scope, of the app's image
  const containers = await ours();
  expect(containers.map((c) => c.Labels['vnf-lcm.node']).sort()).toEqual(nodes);
  for (const c of containers) {
    expect(c.State).toBe('running');
    expect((await docker.inspect(c.Id)).Config.Image).toBe(IMAGE);
    expect(c.Labels).toMatchObject({ 'vnf-lcm.vnf': 'web', 'vnf-lcm.cluster': 'backend', 'vnf-lcm.zone': 'box', 'vnf-lcm.image': IMAGE });
  }
  expect((await sys.hosts()).filter((h) => h.cluster === 'backend').map((h) => [h.node, h.driver, h.zone])).toEqual(nodes.map((n) => [n, 'docker', 'box']));
  // the app ran as a docker host runs it: in the image's folder (docker.cwd)
  expect(backendCwds()).toEqual(Object.fromEntries(nodes.map((n) => [n, IMAGE_CWD])));

  // no process host of the backend is left: the only agents and apps on this machine are the frontends'
  const old = before.nodes.backend.map((n) => n.node);
  expect((await sys.hosts()).filter((h) => old.includes(h.node))).toEqual([]);
  const frontends = v.nodes.frontend.map((n) => n.node).sort();
  expect(hostProcesses(sys.dir)).toEqual({ agents: frontends, apps: frontends });

  const wsd = await sys.trace(op.id);
  expect(fits(diagram('migrate'), wsd)).toMatchObject({ ok: true });
  expect(count(wsd, 'AO->+VIM:activate new virtual host')).toBe(3);
  expect(count(wsd, 'AO->+VIM:remove old virtual host')).toBe(3);
}, 180_000);

test('migrating it back to the process zone under load: no failed request, no container left', async () => {
  const { op, v, nodes } = await migratedUnderLoad('local', LOCAL);
  expect(await ours()).toEqual([]);
  expect(backendCwds()).toEqual(Object.fromEntries(nodes.map((n) => [n, MACHINE_CWD])));
  const all = Object.values(v.nodes)
    .flat()
    .map((n) => n.node)
    .sort();
  expect((await sys.hosts()).map((h) => h.node).sort()).toEqual(all);
  expect(hostProcesses(sys.dir)).toEqual({ agents: all, apps: all });
  expect(fits(diagram('migrate'), await sys.trace(op.id))).toMatchObject({ ok: true });
}, 180_000);

test('an app whose cwd lies only in its image deploys to the docker zone; a relative cwd that climbs out is still refused', async () => {
  // /srv/examples/apps is outside this orchestrator's VNF_APP_ROOTS: a path in the image, the docker agent's to check
  const app: Descriptor.AppSpec = { version: 'v1', command: 'node', args: ['backend.mjs'], cwd: IMAGE_CWD, image: IMAGE, port: 8080 };
  const one = (a: Descriptor.AppSpec): Descriptor.VnfDescriptor => ({
    name: 'img',
    clusters: [{ name: 'one', nodes: 1, zone: 'box', app: a, health: { http: '/health', intervalMs: 50 } }],
  });
  for (const [a, field] of [
    [{ ...app, cwd: '../../etc' }, '/clusters/0/app/cwd'],
    [{ ...app, env: { NODE_OPTIONS: '--require /tmp/x.js' } }, '/clusters/0/app/env/NODE_OPTIONS'],
  ] as const) {
    const r = await sys.raw(Deploy.Subject, { descriptor: one(a) });
    expect(r.error).toMatchObject({ err_code: 'invalid_descriptor', details: { issues: [expect.objectContaining({ field })] } });
  }
  expect((await sys.deploy(one(app))).state).toBe('COMPLETED');
  const [n] = (await sys.vnf('img')).nodes.one;
  expect(n).toMatchObject({ zone: 'box', address: expect.stringMatching(BOX) });
  expect((await httpGet(`http://${n.address}:${n.port}/`)).body).toMatchObject({ node: n.node, cluster: 'one' });
  const [c] = await docker.list([`vnf-lcm.scope=${SCOPE}`, `vnf-lcm.node=${n.node}`]);
  expect(c.Labels['vnf-lcm.image']).toBe(IMAGE);
}, 120_000);
