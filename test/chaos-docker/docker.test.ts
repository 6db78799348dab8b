import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Deploy, Query, Records, Vim } from '@vnf-lcm/contracts';
import { DockerClient, type ContainerSummary } from '../../apps/vim-adapter/src/drivers/docker/client.js';
import * as chaos from '../support/chaos.js';
import { diagram, fits, withoutRepeats } from '../support/seqcheck.js';
import { ROOT, System } from '../support/system.js';
import { dockerReady } from '../support/docker.js';

/**
 * The chaos matrix on the docker driver (issue 11 item 7): a node's container killed with -9
 * (`docker kill -s KILL`) in the middle of every algorithm on a cluster in the docker zone `box`,
 * and the VIM adapter killed with -9 in the middle of a docker host's create or start. Each run
 * must end COMPLETED and fit its diagram once the repeats are taken out. A container killed in the
 * middle is a death the VIM reports at once (ADR 17): the VNFM asks for its healing, which the AO
 * refuses while the operation runs and takes once it ended (heartbeats). So "as undisturbed" here
 * is: the operation's node counts, versions and zones, every frontend sending to exactly the
 * backends, and every node of the record exactly one running container (or process host) — a
 * killed node either gone with the operation or healed by a separate healing that completed and
 * fits its own diagram. Nothing leaked: the scope's containers, counted by label, are the record's
 * docker nodes. The real Docker Engine; never skipped.
 */
const sys = new System(61, { AO_LEASE_MS: '1200', VNFM_FAILURE_MS: '1000' }, { dockerZone: true });
const SCOPE = sys.dockerScope!;
const IMAGE = 'vnf-lcm/examples:latest';
const IMAGE_CWD = '/srv/examples/apps';
const MACHINE_CWD = join(ROOT, 'examples/apps');
const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
const docker = new DockerClient(SOCKET);
const started = Date.now();

const ours = (vnf?: string): Promise<ContainerSummary[]> => docker.list([`vnf-lcm.scope=${SCOPE}`, ...(vnf ? [`vnf-lcm.vnf=${vnf}`] : [])]);

async function removeOurContainers(): Promise<void> {
  const left = await ours().catch(() => []);
  await Promise.all(left.map((c) => docker.remove(c.Id, { force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  await dockerReady(docker, ROOT);
  await sys.start();
}, 120_000);

afterAll(async () => {
  console.log(`chaos matrix (docker): ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
  await sys.stop();
  await removeOurContainers();
}, 90_000);

type Algorithm = Exclude<chaos.Algorithm, 'terminate'>;
/** as the matrix's agent kill: just after a new host came up, so that the next steps talk to it */
const KILL_AT: Record<Algorithm, number> = { deployment: 13, 'scale-out': 3, 'scale-in': 4, healing: 5, upgrade: 20, migrate: 20 };

/**
 * Two backends (with a v2) behind one frontend on a process host; the backend's app runs on both
 * kinds of host (ADR 16), in `box` unless the test migrates it there.
 */
const descriptor = (name: string, zone: string) =>
  chaos.twoBackends(name, (b) => {
    b.zone = zone;
    b.app = { ...b.app, cwd: MACHINE_CWD, image: IMAGE, docker: { cwd: IMAGE_CWD } };
  });

/**
 * Whether the test starts the killed container again (host-activate) right after the kill, as
 * the matrix does for a killed agent. VNF_CHAOS_DOCKER_NO_RESTART=1 leaves it dead, for the
 * operation and the VNFM's healing to deal with: as of this writing deployment, scale-out and
 * healing then end FAILED_TEMP and upgrade and migrate ROLLED_BACK (scale-in completes).
 */
const RESTART = !process.env.VNF_CHAOS_DOCKER_NO_RESTART;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function opGet(op: string): Promise<Records.OpRecord> {
  return (await sys.req<Query.OpGetReply>(Query.Subject.opGet, { op })).op;
}

/**
 * docker kill -s KILL of the container of the node the operation works on (its latest step's
 * node), else of another running container of the VNF that is not on its way out; when the
 * operation has none running yet, a few steps later.
 */
async function killContainer(name: string, op: string, n: number): Promise<{ node: string; at: Records.OpRecord }> {
  for (let k = n; ; k++) {
    const r = await chaos.waitSteps(sys, op, k);
    if (!chaos.ACTIVE.includes(r.state)) throw new Error(`${name}: the operation ended (${r.state}) before a container of it ran`);
    const latest = [...r.steps].reverse().find((s) => s.node)?.node;
    const leaving = chaos.leavingNodes(r);
    const running = (await ours(name)).filter((c) => c.State === 'running' && !leaving.has(c.Labels['vnf-lcm.node']));
    const c = running.find((c) => c.Labels['vnf-lcm.node'] === latest) ?? running[0];
    if (!c) continue;
    try {
      await docker.kill(c.Id, 'SIGKILL');
    } catch {
      continue; // gone meanwhile: the next one
    }
    const node = c.Labels['vnf-lcm.node'];
    for (let i = 0; i < 200 && (await docker.inspect(c.Id)).State.Running; i++) await sleep(10);
    // restarted the way the matrix restarts a killed agent: vnf.vim.host-activate (the VIM starts
    // the dead container again, with a new identity). Without it the operation does not complete:
    // see RESTART below.
    if (RESTART) await sys.req(Vim.subject(Vim.Verb.hostActivate, c.Labels['vnf-lcm.zone']), { vnf: name, cluster: c.Labels['vnf-lcm.cluster'], node }, 20_000);
    return { node, at: r };
  }
}

/**
 * The nodes of the record down: its host not running, or (docker) not exactly one running
 * container of this scope.
 */
async function down(v: Records.VnfRecord, hosts: Vim.HostInfo[]): Promise<string[]> {
  const containers = await ours(v.name);
  const boxedDown = chaos
    .nodesOf(v)
    .filter((n) => n.zone === 'box')
    .filter((n) => {
      const cs = containers.filter((c) => c.Labels['vnf-lcm.node'] === n.node);
      return cs.length !== 1 || cs[0].State !== 'running';
    })
    .map((n) => n.node);
  return [...new Set([...chaos.hostsDown(v, hosts), ...boxedDown])];
}

/**
 * Every node of the record has one host; each docker node exactly one container of this scope,
 * running, and no container of the VNF is left beside them (dead or not); each process node one
 * agent and one application, and none else of the VNF.
 */
async function expectNothingLeaked(name: string) {
  const v = await sys.vnf(name);
  const boxed = chaos
    .nodesOf(v)
    .filter((n) => n.zone === 'box')
    .map((n) => n.node)
    .sort();
  const local = chaos
    .nodesOf(v)
    .filter((n) => n.zone !== 'box')
    .map((n) => n.node)
    .sort();
  const containers = await ours(name);
  expect(containers.map((c) => [c.Labels['vnf-lcm.node'], c.State]).sort()).toEqual(boxed.map((n) => [n, 'running']));
  await chaos.expectHostsAndProcesses(sys, name, local);
}

async function dump(name: string) {
  for (const c of await ours(name).catch(() => []))
    console.log(`${c.Labels['vnf-lcm.node']} ${c.State}\n${await docker.logs(c.Id, 30).catch((e: Error) => e.message)}`);
}

describe('docker driver', () => {
  describe('docker kill -s KILL of a node container', () => {
    test.each(['deployment', 'scale-out', 'scale-in', 'healing', 'upgrade', 'migrate'] as Algorithm[])(
      'in the middle of %s: completes, fits the diagram, healed after, ends as undisturbed, leaks nothing',
      async (algorithm) => {
        const t0 = Date.now();
        const name = `d-box-${chaos.ALGO[algorithm]}`;
        await sys.waitReady();
        // every backend ends in `box`: a migration moves it there from local
        const op = await chaos.begin(sys, descriptor(name, algorithm === 'migrate' ? 'local' : 'box'), algorithm, 'box');
        const { node: killed, at } = await killContainer(name, op, KILL_AT[algorithm]);
        const tKill = Date.now();
        const done = await sys.waitOp(op);
        const raw = await sys.trace(op);
        const fit = fits(diagram(algorithm), withoutRepeats(raw));
        console.log(`${name}: killed the container of ${killed} after ${at.steps.length} steps; ${done.state} ${done.error ? JSON.stringify(done.error) : ''}`);
        if (done.state !== 'COMPLETED') await dump(name);
        expect({ state: done.state, error: done.error }).toEqual({ state: 'COMPLETED', error: undefined });
        const after = await chaos.settle(sys, name, done, down).catch(async (err) => {
          await dump(name);
          throw err;
        });
        console.log(
          `${name}: killed the container of ${killed} after ${at.steps.length} steps (${at.steps.at(-1)?.key}), ${done.state} after ${done.steps.length} steps, ` +
            `${((Date.now() - tKill) / 1000).toFixed(1)} s after the kill (at rest), ${((Date.now() - t0) / 1000).toFixed(1)} s in all; ` +
            `then: ${after.map((o) => `${o.algorithm} of ${String(o.params.node ?? '')} by ${o.requestedBy} ${o.state}`).join(', ') || 'nothing'}`,
        );
        if (!fit.ok || done.state !== 'COMPLETED') {
          console.log(name, done.error, fit, raw);
          await dump(name);
        }
        expect({ state: done.state, error: done.error }).toEqual({ state: 'COMPLETED', error: undefined });
        expect(fit).toMatchObject({ ok: true });
        // what came after: only healings of the killed node, each completed and fitting its diagram
        await chaos.expectOnlyHealingOf(sys, killed, after);
        // the healed node is replaced; the killed one, started again, may stay: then (below) with
        // exactly one running container, as every node of the record
        const gone = [...(algorithm === 'healing' ? [done.params.node as string] : []), ...after.map((o) => o.params.node as string)];
        await chaos.expectEndState(sys, name, chaos.endState(algorithm, 'box'), gone, { appAnswers: true });
        await expectNothingLeaked(name);
      },
      120_000,
    );
  });

  /**
   * A VIM killed between `docker create` and the skeleton's putArchive once left a container the
   * next start could not use (FAILED_TEMP, orphan). Since ADR 36 a first start writes nothing, and
   * a VIM killed at the start may leave an agent that got its credentials and answers: the next
   * adapter takes it as started, and draws the start the diagram needs. Both moments are tried.
   */
  const AT = ['create', 'start'];
  describe('kill -9 of the VIM adapter in the middle of a docker host', () => {
    test.each(AT)(
      "at the container's %s (deployment on the docker zone): completes, fits the diagram, one container per node, no orphan",
      async (event) => {
        const t0 = Date.now();
        const name = `d-vim-${event}`;
        await sys.waitReady();
        // the first container of this VNF the engine says it created (or started): the VIM dies right then
        let hit: { node: string; at: number } | undefined;
        let seen!: () => void;
        const fired = new Promise<void>((r) => (seen = r));
        const stream = docker.events(
          { type: ['container'], event: [event], label: [`vnf-lcm.scope=${SCOPE}`, `vnf-lcm.vnf=${name}`] },
          {},
          (e) => {
            if (hit) return;
            hit = { node: e.Actor.Attributes['vnf-lcm.node'], at: Date.now() };
            void sys.kill('vim-adapter').then(seen);
          },
          () => undefined,
        );
        await sleep(200); // the stream open before the first container
        let op: string;
        try {
          op = (await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor: descriptor(name, 'box') })).op;
          await Promise.race([fired, sleep(30_000).then(() => Promise.reject(new Error(`no container ${event} seen for ${name}`)))]);
        } finally {
          stream.close();
        }
        const at = await opGet(op);
        sys.startService('vim-adapter');
        const tKill = Date.now();
        const done = await sys.waitOp(op);
        await sys.waitReady();
        const raw = await sys.trace(op);
        const fit = fits(diagram('deployment'), withoutRepeats(raw));
        console.log(
          `${name}: killed the VIM at the ${event} of ${hit!.node}'s container (restarted ${tKill - hit!.at} ms after it), after ${at.steps.length} steps (${at.steps.at(-1)?.key}); ` +
            `${done.state} after ${done.steps.length} steps, ${((Date.now() - tKill) / 1000).toFixed(1)} s after the restart, ${((Date.now() - t0) / 1000).toFixed(1)} s in all`,
        );
        if (!fit.ok || done.state !== 'COMPLETED') {
          console.log(name, done.error, fit, raw);
          await dump(name);
        }
        expect({ state: done.state, error: done.error }).toEqual({ state: 'COMPLETED', error: undefined });
        expect(fit).toMatchObject({ ok: true });
        // no death here: nothing but the deployment ran on this VNF
        expect(await chaos.settle(sys, name, done, down)).toEqual([]);
        await chaos.expectEndState(sys, name, chaos.endState('deployment', 'box'), [], { appAnswers: true });
        await expectNothingLeaked(name);
        // the node whose container the VIM left half-made still has exactly that one container
        expect((await ours(name)).filter((c) => c.Labels['vnf-lcm.node'] === hit!.node)).toHaveLength(1);
      },
      120_000,
    );
  });

  test("no container of this run's scope is left but the record's", async () => {
    const vnfs = await sys.vnfRecords();
    const boxed: string[] = [];
    for (const s of vnfs) for (const n of chaos.nodesOf(s)) if (n.zone === 'box') boxed.push(n.node);
    expect((await ours()).map((c) => c.Labels['vnf-lcm.node']).sort()).toEqual(boxed.sort());
  });
});
