import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Lifecycle, Vim, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { alive, argsOf, findProcesses, waitDead, type Proc } from './support/procs.js';
import { hostProcesses, System } from './support/system.js';

/**
 * ADR 27: the process driver keeps one spare agent per zone, started ahead without a node, and
 * a host start takes it (its assignment on stdin) instead of paying Node.js's and TLS's start-up.
 * A secured System (a fresh node identity per start, TLS), real processes, the real agent.
 */
const sys = new System(88);
const LOCAL = () => join(sys.dir, 'hosts/local');
let stopped = false;

/** what /proc says of one pid */
function procOf(pid: number): Proc | undefined {
  let found: Proc | undefined;
  findProcesses((p) => (p.pid === pid && (found = p), false));
  return found;
}

/** this System's spare agents, with their zone's folder (they run there until assigned) */
function spares(): { pid: number; cwd: string; env: string[] }[] {
  const out: { pid: number; cwd: string; env: string[] }[] = [];
  findProcesses((p) => {
    if (p.cmd.includes(Agent.Spare.flag) && p.env.some((e) => e.includes(sys.dir))) out.push({ pid: p.pid, cwd: p.cwd, env: p.env });
    return false;
  });
  return out;
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 50))) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

async function run(subject: string, body: object): Promise<Records.OpRecord> {
  const r = await sys.req<Lifecycle.Reply>(subject, body);
  return sys.waitOp(r.op);
}

const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const vimLog = () => readFileSync(join(sys.dir, 'vim-adapter.log'), 'utf8');
const hostOf = async (node: string) => (await sys.hosts()).find((h) => h.node === node);

/** a scale-out by one backend, and the host it added */
async function scaleOut(): Promise<Vim.HostInfo> {
  const before = new Set((await sys.hosts()).map((h) => h.node));
  expect((await run(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 1 })).state).toBe('COMPLETED');
  const added = (await sys.hosts()).filter((h) => !before.has(h.node));
  expect(added).toHaveLength(1);
  return added[0];
}

beforeAll(async () => {
  // one of Node.js's own variables in the VIM's environment (as NODE_OPTIONS is, from jest), and
  // one of OpenSSL's
  sys.env.NODE_PENDING_DEPRECATION = '1';
  sys.env.SSL_CERT_DIR = '/etc/ssl/certs';
  await sys.start();
  expect((await sys.deploy(example('web'))).state).toBe('COMPLETED');
}, 120_000);

afterAll(async () => {
  if (!stopped) await sys.stop();
}, 60_000);

test("a deployment's first hosts start cold, a later one from the zone's spare, and a warm agent is its host's whole agent", async () => {
  const hosts = (await sys.hosts()).filter((h) => h.vnf === 'web');
  expect(hosts).toHaveLength(5);
  const warm = hosts.filter((h) => h.warm);
  // the zone has no spare before its first start, and a cluster's hosts start together (ADR 25):
  // the backends start cold; of the frontends, started after them, one at least takes the spare
  const first = hosts.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  expect(first.warm).toBeUndefined();
  expect(warm.filter((h) => h.cluster === 'frontend').length).toBeGreaterThanOrEqual(1);
  expect(vimLog().match(/agent started from a spare/g)).toHaveLength(warm.length);
  // as the same user as a cold agent (the unprivileged one when the VIM is root)
  const coldUid = uidOf(hosts.find((h) => !h.warm)!.pid!);
  for (const h of warm) {
    // the process the host record names, in its folder, named by its node as a cold agent is
    const p = procOf(h.pid!)!;
    expect(argsOf(p)).toContain(`--node=${h.node}`);
    expect(p.cmd.join(' ')).toContain('agent.cjs');
    expect(p.cwd).toBe(join(LOCAL(), h.node));
    expect(uidOf(h.pid!)).toBe(coldUid);
    // its own log, where a cold agent's goes
    const log = (await sys.req<{ lines: string[] }>(Vim.subject(Vim.Verb.hostLogs, h.zone), { node: h.node, source: 'agent', tail: 50 })).lines.join('\n');
    // compiled from the build's code cache, not from source (ADR 30): a spare as a cold agent
    expect(log).toMatch(/"warm":true,"codeCache":"used","msg":"agent started"/);
    // a fresh identity of its own: not a spare's, not another node's
    expect(readFileSync(join(LOCAL(), h.node, 'identity.jwt'), 'utf8')).toMatch(/^ey/);
  }
  for (const h of hosts.filter((x) => !x.warm)) {
    const log = (await sys.req<{ lines: string[] }>(Vim.subject(Vim.Verb.hostLogs, h.zone), { node: h.node, source: 'agent', tail: 50 })).lines.join('\n');
    expect(log).toMatch(/"codeCache":"used","msg":"agent started"/);
  }
  const jwts = hosts.map((h) => readFileSync(join(LOCAL(), h.node, 'identity.jwt'), 'utf8'));
  expect(new Set(jwts).size).toBe(hosts.length);
  // every host has its one agent and its application
  const nodes = hosts.map((h) => h.node).sort();
  expect(hostProcesses(sys.dir)).toEqual({ agents: nodes, apps: nodes });
}, 60_000);

test("no agent, cold or warm, starts with Node.js's or OpenSSL's variables, but with its own flags: its application gets the variables as the VIM has them", async () => {
  const agents = findProcesses((p) => argsOf(p).some((a) => a.startsWith('--node=web-')) && p.cwd.startsWith(sys.dir));
  const apps = findProcesses((p) => p.env.includes('VNF_VNF=web') && p.env.some((e) => e.startsWith('VNF_CONFIG=') && e.includes(sys.dir)));
  expect(agents.length).toBeGreaterThanOrEqual(5);
  expect(apps.length).toBeGreaterThanOrEqual(5);
  const envOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const runtimeVars = (pid: number) => envOf(pid).filter((e) => /^(NODE_|OPENSSL_|SSL_CERT_)/.test(e));
  for (const pid of agents) {
    expect(runtimeVars(pid)).toEqual([]);
    expect(envOf(pid)).toContain(`${Agent.RuntimeEnv.prefix}NODE_PENDING_DEPRECATION=1`);
    // a cold agent's command line, or a warm one's title over it
    expect(procOf(pid)!.cmd.join(' ')).toContain(Agent.RuntimeEnv.nodeFlags.join(' '));
  }
  for (const s of spares()) {
    expect(runtimeVars(s.pid)).toEqual([]);
    expect(procOf(s.pid)!.cmd).toEqual(expect.arrayContaining([...Agent.RuntimeEnv.nodeFlags]));
  }
  for (const pid of apps) {
    expect(envOf(pid)).toContain('NODE_PENDING_DEPRECATION=1');
    expect(envOf(pid)).toContain('SSL_CERT_DIR=/etc/ssl/certs');
    if (process.env.NODE_OPTIONS) expect(envOf(pid)).toContain(`NODE_OPTIONS=${process.env.NODE_OPTIONS}`);
    expect(envOf(pid).filter((e) => e.startsWith(Agent.RuntimeEnv.prefix))).toEqual([]);
  }
});

test('a spare is no host: not listed, no orphan, no node and nothing of the bus but the CA', async () => {
  const [spare] = await until('a spare in zone local', () => {
    const s = spares();
    return s.length > 0 && s;
  });
  expect(spares()).toHaveLength(1);
  expect(spare.cwd).toBe(LOCAL());
  const hosts = await sys.hosts();
  expect(hosts.map((h) => h.pid)).not.toContain(spare.pid);
  expect(hosts.filter((h) => h.orphan)).toEqual([]);
  expect(hosts).toHaveLength(5);
  expect(spare.env.filter((e) => /^(VNF_NODE|VNF_ADDRESS|VNF_WORKDIR|NATS_CREDS|NATS_URL)=/.test(e))).toEqual([]);
  expect(spare.env.filter((e) => e.startsWith('NATS_')).map((e) => e.split('=')[0])).toEqual(['NATS_TLS_CA']);
  expect(uidOf(spare.pid)).toBe(uidOf(hosts[0].pid!));
  // it has no connection: the server knows the five agents and the services only
  const conns = await fetch(`${sys.nats.monitor}/connz?limit=1000`).then((r) => r.json() as Promise<{ connections: { name?: string }[] }>);
  expect(
    conns.connections
      .filter((c) => c.name?.startsWith('vnf-agent/'))
      .map((c) => c.name!.slice(10))
      .sort(),
  ).toEqual(hosts.map((h) => h.node).sort());
}, 60_000);

test("a killed spare is replaced, not reported as a host's death, and the next host takes the new one; its identity is revoked with it", async () => {
  const downs: string[] = [];
  const sub = sys.nc.subscribe(Vim.HOST_DOWN_ALL, { callback: (_e, m) => void downs.push(m.subject) });
  const [old] = spares();
  process.kill(old.pid, 'SIGKILL');
  expect(await waitDead(old.pid)).toBe(true);
  const [fresh] = await until('a new spare', () => {
    const s = spares().filter((x) => x.pid !== old.pid);
    return s.length > 0 && s;
  });
  expect(fresh.cwd).toBe(LOCAL());
  // its code, node:tls and the CA loaded before the next start: give it the time it takes
  await new Promise((r) => setTimeout(r, 500));
  const added = await scaleOut();
  expect(added).toMatchObject({ warm: true, pid: fresh.pid, state: 'running' });
  expect(alive(fresh.pid)).toBe(true);
  sub.unsubscribe();
  expect(downs).toEqual([]);
  // a removed warm node's identity is revoked as any other's
  const jwt = readFileSync(join(LOCAL(), added.node, 'identity.jwt'), 'utf8').trim();
  const user = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).sub as string;
  expect((await run(Lifecycle.Subject.scaleIn, { vnf: 'web', cluster: 'backend', by: 1 })).state).toBe('COMPLETED');
  expect(await hostOf(added.node)).toBeUndefined();
  expect(sys.security!.id.revocations()[user]).toBeGreaterThan(0);
  expect(await waitDead(fresh.pid)).toBe(true);
}, 60_000);

test('a spare takes the longest node id whole: its title, written over its command line, names all of it', async () => {
  const [spare] = await until('a spare', () => {
    const s = spares();
    return s.length > 0 && s;
  });
  await new Promise((r) => setTimeout(r, 500));
  // 63 characters, the most a node id may have; with a root adapter the agent runs through the
  // zone's loader (ADR 32), whose path is longer than Node.js's
  const node = `web-backend-${'x'.repeat(51)}`;
  const h = await sys.req<Vim.HostInfo>(Vim.subject(Vim.Verb.hostActivate, 'local'), { vnf: 'web', cluster: 'backend', node }, 20_000);
  expect(h).toMatchObject({ node, warm: true, pid: spare.pid, state: 'running' });
  expect(argsOf(procOf(h.pid!)!)).toContain(`--node=${node}`);
  expect(await sys.req(Vim.subject(Vim.Verb.hostRemove, 'local'), { node }, 20_000)).toMatchObject({ node, removed: true });
}, 60_000);

test('the spare ends with the adapter: it exits on its own when the adapter dies, and is stopped when the adapter stops', async () => {
  const [before] = await until('a spare', () => {
    const s = spares();
    return s.length > 0 && s;
  });
  await sys.kill('vim-adapter', 'SIGKILL');
  // its stdin ends with the adapter
  expect(await waitDead(before.pid)).toBe(true);
  sys.startService('vim-adapter');
  await sys.waitReady();
  // lazily: a zone gets a spare with its first start
  expect(spares()).toEqual([]);
  const cold = await scaleOut();
  expect(cold.warm).toBeUndefined();
  const [spare] = await until('a spare after the first start', () => {
    const s = spares();
    return s.length > 0 && s;
  });
  await sys.kill('vim-adapter', 'SIGTERM');
  expect(await waitDead(spare.pid)).toBe(true);
  // the hosts' agents outlive the adapter, as always
  const nodes = Object.values((await sys.vnf('web')).nodes).flatMap((c) => c.map((n) => n.node));
  expect(hostProcesses(sys.dir).agents).toEqual(nodes.sort());
}, 60_000);

test('VIM_SPARE_AGENT=0 starts every host cold and keeps no spare; VIM_SPARE_AGENT=2 keeps two, for two starts at once', async () => {
  const restart = async (n: string) => {
    await sys.kill('vim-adapter', 'SIGTERM');
    sys.env.VIM_SPARE_AGENT = n;
    sys.startService('vim-adapter');
    await sys.waitReady();
  };
  try {
    await restart('0');
    expect((await scaleOut()).warm).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(spares()).toEqual([]);
    await restart('2');
    expect((await scaleOut()).warm).toBeUndefined();
    await until('two spares', () => spares().length === 2);
    await new Promise((r) => setTimeout(r, 500));
    const before = new Set((await sys.hosts()).map((h) => h.node));
    expect((await run(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 2 })).state).toBe('COMPLETED');
    const added = (await sys.hosts()).filter((h) => !before.has(h.node));
    expect(added.map((h) => h.warm)).toEqual([true, true]);
    await until('two spares again', () => spares().length === 2);
  } finally {
    delete sys.env.VIM_SPARE_AGENT;
  }
}, 90_000);

test('no spare is left once the System has stopped', async () => {
  const left = spares();
  expect(left).toHaveLength(2);
  stopped = true;
  await sys.stop();
  for (const s of left) expect(await waitDead(s.pid)).toBe(true);
  expect(spares()).toEqual([]);
}, 60_000);
