import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { AgentMinter, Installation } from '@vnf-lcm/auth';
import { Access, Agent, Header, Vim } from '@vnf-lcm/contracts';
import { DockerClient, DockerNotFound, type ContainerInspect } from '../apps/vim-adapter/src/drivers/docker/client.js';
import { tar, untar } from '../apps/vim-adapter/src/drivers/docker/tar.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { runToExit } from './support/run.js';
import { dockerReady } from './support/docker.js';

/**
 * The VIM adapter with its docker driver, as a real process against a real (secured) nats-server
 * and the real Docker Engine: each host is a container of the examples image, on the host network
 * with its own loopback address, running the real agent from the agent root volume. Docker that
 * cannot be reached fails the test; it is never skipped.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const VIM_MAIN = join(REPO, 'apps/vim-adapter/dist/main.js');
const TIMEOUT = 90_000;
const RANGE = /^127\.47\.\d{1,3}\.\d{1,3}$/;
/** this run's containers only: another VIM (a demo, another run) may use the same Docker */
const SCOPE = `t47-${process.pid}`;
const UNPRIVILEGED = 65534;

const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
/** an image with nothing in it, no libc, no node: the agent must not need anything from the application's image */
const BARE = `vnf-lcm/test-bare:${process.pid}`;
/** the examples image with Node.js's, OpenSSL's and the loader's variables of its own, as application images often have */
const HOOKED = `vnf-lcm/test-hooked:${process.pid}`;
const HOOKED_DOCKERFILE = [
  'FROM vnf-lcm/examples:latest',
  'COPY hook.cjs /srv/hook.cjs',
  'ENV NODE_OPTIONS="--require /srv/hook.cjs" OPENSSL_CONF=/srv/none.cnf LD_PRELOAD=/srv/none.so',
  '',
].join('\n');
const HOOK = "process.stderr.write(`hooked ${process.argv.slice(1).join(' ')}\\n`);\n";
const docker = new DockerClient(SOCKET);
let nats: NatsServer;
let security: Installation;
let keeper: { close(): Promise<void> } | undefined;
let nc: NatsConnection;
let tmp: string;
let vim: ChildProcess | undefined;
let vimRuns = 0;
let ops = 0;

type Reply<T> = T & { error?: { err_code: string; description: string; details?: any } };

const zones = () =>
  JSON.stringify({
    defaultZone: 'dock',
    zones: [
      { name: 'dock', driver: 'docker', range: '127.47.0.0/18', scope: SCOPE },
      { name: 'bare', driver: 'docker', range: '127.47.64.0/18', scope: SCOPE, image: BARE },
      // too little memory for any agent: a host that cannot start
      { name: 'tiny', driver: 'docker', range: '127.47.128.0/17', scope: SCOPE, memory: '6m', cpus: 0.5 },
    ],
  });

function vimEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: nats.url,
    VIM_ZONES: zones(),
    LOG_LEVEL: 'info',
    VNF_HEARTBEAT_MS: '1000',
    // no orchestrator here: nothing owns these hosts, and nothing may remove them
    VIM_ORPHAN_REMOVE: 'false',
    ...security.env(Access.Role.vimAdapter),
    ...extra,
  };
  delete env.VIM_CONFIG;
  return env;
}

async function startVim(): Promise<void> {
  const log = join(tmp, `vim-${++vimRuns}.log`);
  vim = spawn(process.execPath, [VIM_MAIN], { cwd: tmp, env: vimEnv(), stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  for (let i = 0; i < 150; i++) {
    try {
      await nc.request(Vim.ZONE_LIST, '{}', { timeout: 500 });
      return;
    } catch {
      if (vim.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`vim-adapter did not come up: ${readFileSync(log, 'utf8')}`);
}

async function killVim(): Promise<void> {
  if (!vim || vim.exitCode !== null || vim.signalCode !== null) return;
  const exited = once(vim, 'exit');
  vim.kill('SIGKILL');
  await exited;
}

async function req<T>(subject: string, body: unknown, timeout = 40_000): Promise<Reply<T>> {
  const h = headers();
  h.set(Header.op, `dockertest-${++ops}`);
  return (await nc.request(subject, JSON.stringify(body), { timeout, headers: h })).json<Reply<T>>();
}

const activate = (node: string, zone = 'dock') => req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, zone), { vnf: 'dkt', cluster: 'web', node });
const remove = (node: string, zone = 'dock') => req<Vim.HostRemoveReply>(Vim.subject(Vim.Verb.hostRemove, zone), { node });
const list = () => Vim.listAllHosts(<T>(s: string, b: object) => req<T>(s, b) as Promise<T>);
const nameOf = (node: string) => `vnf-${SCOPE}-${node}`;

/** the examples' backend (in the examples image) created and started by the node's agent, as the VNFM asks */
async function startBackend(node: string, port: number): Promise<void> {
  const app: Agent.AppCreate = {
    vnf: 'dkt',
    cluster: 'web',
    app: { version: 'v1', command: 'node', args: ['backend.mjs'], cwd: '/srv/examples/apps', port },
    members: [],
    endpoints: {},
  };
  expect((await req<Agent.Status>(Agent.subject(Agent.Verb.appCreate, node), app)).error).toBeUndefined();
  expect(await req<Agent.Status>(Agent.subject(Agent.Verb.appStart, node), {})).toMatchObject({ app: { state: 'running' } });
}

async function container(node: string): Promise<ContainerInspect | undefined> {
  try {
    return await docker.inspect(nameOf(node));
  } catch (err) {
    if (err instanceof DockerNotFound) return undefined;
    throw err;
  }
}

async function connz(): Promise<string[]> {
  const r = await fetch(`${nats.monitor}/connz?limit=1000`);
  return ((await r.json()) as { connections: { name?: string }[] }).connections.map((c) => c.name ?? '');
}

/** Every process of a container as the Docker host sees it (its cgroup names the container), with its uids. */
function processesOf(id: string): { pid: number; uids: number[]; cmd: string; env: string[] }[] {
  const out: { pid: number; uids: number[]; cmd: string; env: string[] }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cgroup`, 'utf8').includes(id)) continue;
      const uids = /^Uid:\s+(.*)$/m
        .exec(readFileSync(`/proc/${d}/status`, 'utf8'))![1]
        .split(/\s+/)
        .map(Number);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(d), uids, cmd, env: readFileSync(`/proc/${d}/environ`, 'utf8').split('\0') });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** the identity its agent runs with: one minted at a later start is written into it, the first is its label (ADR 36) */
async function identityIn(id: string): Promise<string> {
  if (!(await docker.stat(id, '/vnf-lcm/identity.jwt'))) return (await docker.inspect(id)).Config.Labels['vnf-lcm.identity'];
  return untar(await docker.getArchive(id, '/vnf-lcm/identity.jwt'))
    .get('identity.jwt')!
    .toString('utf8')
    .trim();
}

/** Go's FileMode of a path in a container, as the archive endpoint's HEAD gives it */
const GO_DIR = 2 ** 31;
const permsOf = (mode: number) => mode & 0o777;

const subjectOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).sub as string;

async function removeOurContainers(): Promise<void> {
  const ours = await docker.list([`vnf-lcm.scope=${SCOPE}`]).catch(() => []);
  await Promise.all(ours.map((c) => docker.remove(c.Id, { force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  await dockerReady(docker, REPO);
  execFileSync('docker', ['import', '-', BARE], { input: tar([{ name: 'srv', type: 'dir', mode: 0o755 }]), stdio: ['pipe', 'ignore', 'pipe'] });
  execFileSync('docker', ['build', '-q', '-t', HOOKED, '-'], {
    input: tar([
      { name: 'Dockerfile', type: 'file', mode: 0o644, body: HOOKED_DOCKERFILE },
      { name: 'hook.cjs', type: 'file', mode: 0o644, body: HOOK },
    ]),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  tmp = mkdtempSync(join(tmpdir(), 'vnf-docker-test-'));
  chmodSync(tmp, 0o711);
  // secured as the launcher secures it: operator mode, TLS, an identity minted per node, the keeper
  security = await Installation.prepare(join(tmp, 'security'), { tls: true, storeDir: join(tmp, 'nats', 'js'), port: -1, monitorPort: -1 });
  nats = await startNatsServer(join(tmp, 'nats'), { config: security.configFile });
  keeper = await security.startKeeper(nats.url);
  nc = await security.connect(nats.url, 'docker-test', Access.Role.admin);
  await startVim();
}, TIMEOUT);

afterAll(async () => {
  await killVim();
  await removeOurContainers();
  try {
    execFileSync('docker', ['rmi', BARE, HOOKED], { stdio: 'ignore' });
  } catch {
    /* not made */
  }
  await nc?.close();
  await keeper?.close();
  await nats?.stop();
  if (tmp && !process.env.VNF_TEST_KEEP) rmSync(tmp, { recursive: true, force: true });
}, TIMEOUT);

test(
  'host-activate creates a running container, labelled with its host record, whose agent said hello',
  async () => {
    const h = await activate('dkt-a');
    expect(h.error).toBeUndefined();
    expect(h).toMatchObject({ node: 'dkt-a', vnf: 'dkt', cluster: 'web', zone: 'dock', driver: 'docker', state: 'running', address: '127.47.0.1' });
    const c = (await container('dkt-a'))!;
    expect(c.Id).toBe(h.ref);
    expect(c.State.Running).toBe(true);
    expect(c.Config.Labels).toMatchObject({
      'vnf-lcm.vnf': 'dkt',
      'vnf-lcm.cluster': 'web',
      'vnf-lcm.node': 'dkt-a',
      'vnf-lcm.zone': 'dock',
      'vnf-lcm.address': '127.47.0.1',
      'vnf-lcm.scope': SCOPE,
    });
    expect(c.Config.User).toBe(`${UNPRIVILEGED}:${UNPRIVILEGED}`);
    expect(c.HostConfig).toMatchObject({ NetworkMode: 'host', Init: true, CapDrop: ['ALL'] });
    expect(c.HostConfig.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Target: '/opt/vnf-agent', ReadOnly: true })]);
    expect(await connz()).toContain('vnf-agent/dkt-a');
    // its own identity, minted with the container: the public JWT is its label, the key only ever went through stdin
    const jwt = c.Config.Labels['vnf-lcm.identity'];
    expect(JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())).toMatchObject({ name: 'dkt-a' });
    expect(c.Config.Env).toContain('NATS_CREDS=-');
    expect(c.Config.Env).toContain(`NATS_TLS_CA_PEM=${readFileSync(security.tls!.ca, 'utf8')}`);
    expect(JSON.stringify(c)).not.toMatch(/SEED|SU[A-Z2-7]{50,}/);
    // nothing is written into it at its first start (ADR 36): the agent made its folder in the image's /tmp
    expect(await docker.stat(c.Id, '/vnf-lcm')).toBeUndefined();
    const workdir = (await docker.stat(c.Id, '/tmp/vnf-lcm'))!;
    expect(workdir.mode >= GO_DIR && permsOf(workdir.mode)).toBe(0o700);
  },
  TIMEOUT,
);

test(
  'the example backend, started by the agent, answers HTTP on the host address',
  async () => {
    const node = 'dkt-a';
    await startBackend(node, 18080);
    const r = await fetch('http://127.47.0.1:18080/', { signal: AbortSignal.timeout(5_000) });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ node, cluster: 'web', version: 'v1', address: '127.47.0.1' });
  },
  TIMEOUT,
);

test(
  "nothing in the container runs as root, and the application's environment holds nothing of the bus",
  async () => {
    const c = (await container('dkt-a'))!;
    const procs = processesOf(c.Id);
    // docker-init, the agent, the application
    expect(procs.length).toBeGreaterThanOrEqual(3);
    for (const p of procs) expect({ cmd: p.cmd, uids: p.uids }).toEqual({ cmd: p.cmd, uids: [UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED] });
    const app = procs.find((p) => p.cmd === 'node backend.mjs')!;
    expect(app).toBeDefined();
    expect(app.env.filter((e) => e.startsWith('NATS_'))).toEqual([]);
    expect(app.env).toContain('VNF_NODE=dkt-a');
    // its own PATH from the image; the agent's loader trick does not reach it
    expect(app.env.filter((e) => e.startsWith('LD_'))).toEqual([]);
  },
  TIMEOUT,
);

test(
  "the application cannot read its agent's memory or environment: the agent is not dumpable",
  async () => {
    const c = (await container('dkt-a'))!;
    // run in the container as its user, as the application is (its image's own node)
    const probe = [
      "const fs = require('fs');",
      // not pid 1, docker-init, whose command line holds the agent's, nor this probe, whose script does
      "const pid = fs.readdirSync('/proc').find((d) => /^\\d+$/.test(d) && d !== '1' && d !== String(process.pid) && fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\\0').includes('--node=dkt-a'));",
      "const tryRead = (f) => { try { fs.readFileSync(`/proc/${pid}/${f}`); return 'read'; } catch (e) { return e.code; } };",
      "console.log(JSON.stringify({ pid, environ: tryRead('environ'), mem: tryRead('mem'), self: tryRead('stat') }));",
    ].join(' ');
    const out = execFileSync('docker', ['exec', '-u', `${UNPRIVILEGED}:${UNPRIVILEGED}`, c.Id, 'node', '-e', probe], { encoding: 'utf8' });
    // allowed, mem opens and its read at address 0 fails with EIO: EACCES at open is the refusal
    expect(JSON.parse(out)).toMatchObject({ pid: expect.stringMatching(/^\d+$/), environ: 'EACCES', mem: 'EACCES', self: 'read' });
  },
  TIMEOUT,
);

test(
  'concurrent activations of new nodes get one container each, with different addresses',
  async () => {
    const [b1, b2, c] = await Promise.all([activate('dkt-b'), activate('dkt-b'), activate('dkt-c')]);
    expect(b1.error).toBeUndefined();
    expect(c.error).toBeUndefined();
    expect(b2).toMatchObject({ ref: b1.ref, address: b1.address });
    expect(new Set([b1.address, c.address, '127.47.0.1']).size).toBe(3);
    for (const a of [b1.address, c.address]) expect(a).toMatch(RANGE);
    expect((await docker.list([`vnf-lcm.scope=${SCOPE}`, 'vnf-lcm.node=dkt-b'])).length).toBe(1);
  },
  TIMEOUT,
);

test(
  'a restarted VIM adapter finds its containers again and does not start them twice',
  async () => {
    const before = await list();
    expect(before.map((h) => h.node).sort()).toEqual(['dkt-a', 'dkt-b', 'dkt-c']);
    await killVim();
    for (const h of before) expect((await container(h.node))?.State.Running).toBe(true); // hosts outlive the adapter
    await startVim();
    const after = await list();
    expect(after.map((h) => h.node).sort()).toEqual(['dkt-a', 'dkt-b', 'dkt-c']);
    for (const h of after) {
      const was = before.find((x) => x.node === h.node)!;
      expect(h).toMatchObject({ state: 'running', driver: 'docker', zone: 'dock', ref: was.ref, address: was.address, createdAt: was.createdAt });
    }
    const again = await activate('dkt-a');
    expect(again).toMatchObject({ state: 'running', ref: before.find((x) => x.node === 'dkt-a')!.ref });
  },
  TIMEOUT,
);

test(
  'a restarted VIM counts a running container as running only once its agent answers; the next activate keeps it',
  async () => {
    const [c] = (await list()).filter((h) => h.node === 'dkt-c');
    await killVim();
    // an agent that cannot answer (its container paused), as one whose start was cut short
    execFileSync('docker', ['pause', c.ref!]);
    try {
      await startVim();
      expect((await list()).find((h) => h.node === 'dkt-c')).toMatchObject({ state: 'creating', ref: c.ref });
    } finally {
      execFileSync('docker', ['unpause', c.ref!]);
    }
    // it answers again: running, the same container and init, without a new start
    expect((await list()).find((h) => h.node === 'dkt-c')).toMatchObject({ state: 'running', ref: c.ref, pid: c.pid });
    const again = await activate('dkt-c');
    expect(again.error).toBeUndefined();
    expect(again).toMatchObject({ state: 'running', ref: c.ref, pid: c.pid, address: c.address });
  },
  TIMEOUT,
);

test(
  'a host whose container stopped is started again in place, with a new identity',
  async () => {
    const [b] = (await list()).filter((h) => h.node === 'dkt-b');
    const oldJwt = await identityIn(b.ref!);
    await docker.kill(b.ref!);
    for (let i = 0; i < 50 && (await container('dkt-b'))?.State.Running; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await list()).find((h) => h.node === 'dkt-b')).toMatchObject({ state: 'stopped' });
    const again = await activate('dkt-b');
    expect(again).toMatchObject({ state: 'running', ref: b.ref, address: b.address });
    const newJwt = await identityIn(b.ref!);
    expect(newJwt).not.toBe(oldJwt);
    // a later start's identity is written into the container, root's: the label cannot change
    expect(await docker.stat(b.ref!, '/vnf-lcm/identity.jwt')).toBeDefined();
    expect((await container('dkt-b'))!.Config.Labels['vnf-lcm.identity']).not.toBe(newJwt);
    // the agent that died had its identity revoked before the new one was minted
    expect(security.id.revocations()[subjectOf(oldJwt)]).toBeGreaterThan(0);
    expect(security.id.revocations()[subjectOf(newJwt)]).toBeUndefined();
  },
  TIMEOUT,
);

test(
  'a standard-input attach left by an adapter that died before its start does not cost the next start its credentials',
  async () => {
    const [b] = (await list()).filter((h) => h.node === 'dkt-b');
    await docker.kill(b.ref!);
    for (let i = 0; i < 50 && (await container('dkt-b'))?.State.Running; i++) await new Promise((r) => setTimeout(r, 100));
    // what a VIM killed between its attach and its `docker start` leaves: an attach whose client is gone
    (await docker.attachStdin(b.ref!)).destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await activate('dkt-b');
    expect(again.error).toBeUndefined();
    expect(again).toMatchObject({ state: 'running', ref: b.ref, address: b.address });
  },
  TIMEOUT,
);

test('the client waits for a container to stop as the engine tells it, and gives up after its timeout', async () => {
  const run = async (ms: number) => {
    const id = await docker.create(`vnf-wait-${SCOPE}-${ms}`, {
      Image: 'vnf-lcm/examples:latest',
      Cmd: ['node', '-e', `setTimeout(() => {}, ${ms})`],
      Labels: { 'vnf-lcm.scope': SCOPE },
      HostConfig: { NetworkMode: 'none' },
    });
    await docker.start(id);
    return id;
  };
  const short = await run(300);
  await expect(docker.wait(short, 10_000)).resolves.toBe(true);
  await expect(docker.wait(short, 1_000)).resolves.toBe(true); // stopped already: at once
  const long = await run(60_000);
  await expect(docker.wait(long, 300)).resolves.toBe(false);
  await docker.remove(long, { force: true });
  await docker.remove(short, { force: true });
  await expect(docker.wait(short, 1_000)).rejects.toBeInstanceOf(DockerNotFound);
});

test(
  'host-remove stops the agent, revokes its identity and removes the container',
  async () => {
    const c = (await container('dkt-a'))!;
    const jwt = await identityIn(c.Id);
    expect(await remove('dkt-a')).toEqual({ node: 'dkt-a', removed: true });
    expect(await container('dkt-a')).toBeUndefined();
    expect(processesOf(c.Id)).toEqual([]);
    expect(security.id.revocations()[subjectOf(jwt)]).toBeGreaterThan(0);
    expect(await connz()).not.toContain('vnf-agent/dkt-a');
    await expect(fetch('http://127.47.0.1:18080/', { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    expect((await list()).map((h) => h.node)).not.toContain('dkt-a');
    // again: nothing there, no error
    expect(await remove('dkt-a')).toEqual({ node: 'dkt-a', removed: false });
  },
  TIMEOUT,
);

test(
  'a host another adapter of the same zones started again: its removal revokes the identity in the container, not the one this adapter wrote',
  async () => {
    const h = await activate('dkt-g');
    expect(h).toMatchObject({ state: 'running' });
    const mine = await identityIn(h.ref!);
    // what the other adapter's start leaves in the container: an identity of its own
    const theirs = (await AgentMinter.fromFile(security.id.agentSignerFile()).mint('dkt-g')).jwt;
    expect(theirs.length).toBe(mine.length);
    await docker.putArchive(
      h.ref!,
      '/',
      tar([
        { name: 'vnf-lcm', type: 'dir', mode: 0o755 },
        { name: 'vnf-lcm/identity.jwt', type: 'file', mode: 0o644, body: theirs },
      ]),
    );
    expect(await remove('dkt-g')).toEqual({ node: 'dkt-g', removed: true });
    expect(security.id.revocations()[subjectOf(theirs)]).toBeGreaterThan(0);
  },
  TIMEOUT,
);

test("a cluster's CPU and memory limits reach the container, enforced by Docker; without them the zone's apply", async () => {
  const limited = await req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'dock'), {
    vnf: 'dkt',
    cluster: 'web',
    node: 'dkt-web-40',
    cpus: 0.5,
    memoryMiB: 64,
  });
  expect(limited).toMatchObject({ state: 'running' });
  const c = (await container('dkt-web-40'))!;
  expect(c.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024 });
  const refused = await req(Vim.subject(Vim.Verb.hostActivate, 'dock'), { vnf: 'dkt', cluster: 'web', node: 'dkt-web-41', cpus: -1, memoryMiB: 1 });
  expect(refused).toMatchObject({ error: { err_code: 'invalid_request' } });
  expect(await container('dkt-web-41')).toBeUndefined();
  expect(await remove('dkt-web-40')).toMatchObject({ removed: true });
});

test(
  'a freed address is given out again',
  async () => {
    const d = await activate('dkt-d');
    expect(d).toMatchObject({ state: 'running', address: '127.47.0.1' });
  },
  TIMEOUT,
);

test(
  "the agent needs nothing from the application's image: it runs in an empty one",
  async () => {
    const h = await activate('dkt-f', 'bare');
    expect(h.error).toBeUndefined();
    expect(h).toMatchObject({ zone: 'bare', state: 'running', address: '127.47.64.1' });
    expect(await connz()).toContain('vnf-agent/dkt-f');
    const status = await req<Agent.Status>(Agent.subject(Agent.Verb.status, 'dkt-f'), {});
    expect(status).toMatchObject({ node: 'dkt-f', address: '127.47.64.1' });
    // no /tmp in it: the adapter wrote the agent's working folder, the container user's alone
    const workdir = (await docker.stat(h.ref!, '/tmp/vnf-lcm'))!;
    expect(workdir.mode >= GO_DIR && permsOf(workdir.mode)).toBe(0o700);
    expect(await docker.stat(h.ref!, '/tmp/vnf-lcm/agent-state.json')).toBeDefined();
    expect(await remove('dkt-f', 'bare')).toEqual({ node: 'dkt-f', removed: true });
  },
  TIMEOUT,
);

test(
  "the application image's NODE_OPTIONS, OPENSSL_CONF and LD_PRELOAD reach its application, never its agent",
  async () => {
    const h = await req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'dock'), { vnf: 'dkt', cluster: 'web', node: 'dkt-h', image: HOOKED });
    expect(h.error).toBeUndefined();
    expect(h).toMatchObject({ state: 'running' });
    // the agent: none of the image's module, loader error or OpenSSL configuration; its own code cache used
    const agentLog = await docker.logs(h.ref!, 100);
    expect(agentLog).toContain('"codeCache":"used"');
    expect(agentLog).not.toMatch(/hooked|preloaded|none\.cnf/);
    await startBackend('dkt-h', 18081);
    // the application: all three, as its image sets them
    const appLog = untar(await docker.getArchive(h.ref!, '/tmp/vnf-lcm/app/app.log'))
      .get('app.log')!
      .toString();
    expect(appLog).toMatch(/hooked \S*backend\.mjs/);
    expect(appLog).toContain('/srv/none.so');
    const c = (await container('dkt-h'))!;
    expect(processesOf(c.Id).find((p) => p.cmd === 'node backend.mjs')!.env).toEqual(
      expect.arrayContaining(['NODE_OPTIONS=--require /srv/hook.cjs', 'OPENSSL_CONF=/srv/none.cnf', 'LD_PRELOAD=/srv/none.so']),
    );
    expect(await remove('dkt-h')).toEqual({ node: 'dkt-h', removed: true });
  },
  TIMEOUT,
);

test(
  "an agent that cannot start fails the step with the reason and the container's log",
  async () => {
    const r = await activate('dkt-e', 'tiny');
    expect(r.error).toMatchObject({ err_code: 'step_failed', description: 'virtual host did not start', details: { node: 'dkt-e' } });
    expect(r.error!.details.reason).toMatch(/agent exited|no hello/);
    expect(typeof r.error!.details.log).toBe('string');
    const c = (await container('dkt-e'))!;
    expect(c.HostConfig).toMatchObject({ Memory: 6 * 1024 * 1024, NanoCpus: 0.5e9 });
    expect(c.State.Running).toBe(false);
    expect(await remove('dkt-e', 'tiny')).toEqual({ node: 'dkt-e', removed: true });
    expect(await container('dkt-e')).toBeUndefined();
  },
  TIMEOUT,
);

test(
  'a bad docker zone stops the adapter at start with a message naming the zone',
  async () => {
    const bad = JSON.stringify({ zones: [{ name: 'dock', driver: 'docker', range: '10.0.0.0/8' }] });
    const { code, out } = await runToExit(VIM_MAIN, { cwd: tmp, env: { ...vimEnv(), VIM_ZONES: bad } });
    expect(code).toBe(2);
    expect(out).toContain('zone dock: range 10.0.0.0/8 must lie inside 127.0.0.0/8 with the host network');
  },
  TIMEOUT,
);
