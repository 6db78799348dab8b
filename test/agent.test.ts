import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Agent } from '@vnf-lcm/contracts';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { alive, findProcesses } from './support/procs.js';

// The agent as the VIM's process driver starts it: built, one process per node, own workdir.
const AGENT_MAIN = resolve('apps/vnf-agent/dist/main.js');
const BACKEND = resolve('examples/apps/backend.mjs');
const PORT = 18080;
const NET = '127.31.0';

let nats: NatsServer;
let nc: NatsConnection;
let root: string;
const agents: ChildProcess[] = [];
const output = new Map<string, string>();

interface Host {
  node: string;
  address: string;
  workdir: string;
  proc?: ChildProcess;
}

const host = (node: string, last: number): Host => ({ node, address: `${NET}.${last}`, workdir: join(root, node) });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

function nextMessage<T>(sub: Subscription, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${sub.getSubject()}`)), ms);
    (async () => {
      for await (const m of sub) {
        clearTimeout(timer);
        resolve(m.json<T>());
        return;
      }
    })().catch(reject);
  });
}

/** Starts the agent and resolves with its hello. */
async function startAgent(h: Host): Promise<Agent.Hello> {
  const hello = nc.subscribe(Agent.hello(h.node), { max: 1 });
  const proc = spawn(process.execPath, [AGENT_MAIN, `--node=${h.node}`], {
    env: {
      ...process.env,
      NATS_URL: nats.url,
      VNF_NODE: h.node,
      VNF_ADDRESS: h.address,
      VNF_WORKDIR: h.workdir,
      VNF_HEARTBEAT_MS: '100',
    },
    // its own group, so that afterAll can kill whatever it left behind
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const key = `${h.node}/${proc.pid}`;
  output.set(key, '');
  const keep = (d: Buffer) => output.set(key, output.get(key) + d.toString());
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  agents.push(proc);
  h.proc = proc;
  try {
    return await nextMessage<Agent.Hello>(hello, 15_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; agent output:\n${output.get(key)}`);
  }
}

function exited(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
}

async function req<T = Agent.Status>(h: Host, verb: Agent.Verb, body: unknown = {}, timeout = 20_000): Promise<T> {
  const m = await nc.request(Agent.subject(verb, h.node), JSON.stringify(body), { timeout });
  return m.json<T>();
}

function get(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 2000 }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

async function refused(url: string): Promise<boolean> {
  try {
    await get(url);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  }
}

/** Every live application process whose config lives under `dir`: how we count copies. */
function appsUnder(dir: string): number[] {
  return findProcesses((p) => p.env.some((e) => e.startsWith(`VNF_CONFIG=${dir}`)));
}

/** An app of `h` that no agent state records, as an agent killed between spawn and save leaves. */
async function startStray(h: Host, version: string): Promise<number> {
  const proc = spawn(process.execPath, [BACKEND], {
    env: {
      ...process.env,
      VNF_NODE: h.node,
      VNF_CONFIG: join(h.workdir, 'app', 'config.json'),
      VNF_VERSION: version,
      VNF_ADDRESS: h.address,
      VNF_PORT: String(PORT),
    },
    // as the agent spawns its apps: own group, outliving its parent
    detached: true,
    stdio: 'ignore',
  });
  proc.unref();
  await eventually('stray answers', async () => ((await get(`http://${h.address}:${PORT}/`)).body.pid === proc.pid ? true : undefined));
  return proc.pid!;
}

function appCreate(h: Host, extra: { env?: Record<string, string>; timeoutMs?: number } = {}): Agent.AppCreate {
  return {
    vnf: 'web',
    cluster: 'backend',
    app: {
      version: 'v1',
      command: process.execPath,
      args: [BACKEND],
      port: PORT,
      reload: { signal: 'SIGHUP' },
      ...(extra.env && { env: extra.env }),
    },
    health: { http: '/health', intervalMs: 50, ...(extra.timeoutMs && { timeoutMs: extra.timeoutMs }) },
    members: [{ node: h.node, address: h.address, port: PORT, version: 'v1' }],
    endpoints: {},
  };
}

async function heartbeatWhere(h: Host, pred: (hb: Agent.Heartbeat) => boolean, ms = 10_000): Promise<Agent.Heartbeat> {
  const sub = nc.subscribe(Agent.heartbeat(h.node));
  const timer = setTimeout(() => sub.unsubscribe(), ms);
  try {
    for await (const m of sub) {
      const hb = m.json<Agent.Heartbeat>();
      if (pred(hb)) return hb;
    }
    throw new Error(`no matching heartbeat from ${h.node} in ${ms} ms`);
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vnf-agent-test-'));
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url, name: 'agent-test' });
});

afterAll(async () => {
  const groups = new Set<number>([...agents.map((a) => a.pid!), ...(root ? appsUnder(root) : [])]);
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await nc?.close();
  await nats?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('vnf-agent', () => {
  let a: Host;
  const base = () => `http://${a.address}:${PORT}`;

  test('announces itself with hello, then heartbeats', async () => {
    a = host('a1', 1);
    const hello = await startAgent(a);
    expect(hello).toEqual({ node: 'a1', address: a.address, pid: a.proc!.pid });
    const hb = await heartbeatWhere(a, () => true);
    expect(hb.node).toBe('a1');
    expect(hb.app.state).toBe('absent');
    expect(Date.parse(hb.ts)).toBeGreaterThan(Date.now() - 10_000);
    const st = await req(a, Agent.Verb.status);
    expect(st).toMatchObject({ node: 'a1', address: a.address, app: { state: 'absent' } });
    const connz = await new Promise<{ connections: { name?: string }[] }>((resolve, reject) =>
      http
        .get(`${nats.monitor}/connz`, (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(JSON.parse(data)));
        })
        .on('error', reject),
    );
    expect(connz.connections.map((c) => c.name)).toContain('vnf-agent/a1');
  });

  let pid: number;

  test('create and start run the application on the host address', async () => {
    const created = await req(a, Agent.Verb.appCreate, appCreate(a));
    expect(created).toMatchObject({ vnf: 'web', cluster: 'backend', app: { state: 'created', version: 'v1', port: PORT } });
    const config = JSON.parse(readFileSync(join(a.workdir, 'app', 'config.json'), 'utf8')) as Agent.AppConfig;
    expect(config).toMatchObject({ node: 'a1', address: a.address, port: PORT, version: 'v1', cluster: 'backend' });
    expect(await refused(`${base()}/`)).toBe(true);

    const started = await req(a, Agent.Verb.appStart);
    expect(started.app).toMatchObject({ state: 'running', healthy: true });
    pid = started.app.pid!;
    expect(pid).toEqual(expect.any(Number));
    const res = await get(`${base()}/`);
    expect(res.body).toMatchObject({ node: 'a1', version: 'v1', address: a.address, pid });

    const persisted = JSON.parse(readFileSync(join(a.workdir, 'agent-state.json'), 'utf8'));
    expect(persisted).toMatchObject({ state: 'running', pid, vnf: 'web', cluster: 'backend' });
    const hb = await heartbeatWhere(a, (h) => h.app.state === 'running' && h.metrics !== undefined);
    expect(hb.app.pid).toBe(pid);
    expect(hb.metrics!.requests_total).toEqual(expect.any(Number));
  });

  test('repeated create and start answer with the same process', async () => {
    const again = await req(a, Agent.Verb.appStart);
    expect(again.app).toMatchObject({ state: 'running', pid });
    const recreated = await req(a, Agent.Verb.appCreate, appCreate(a));
    expect(recreated.app).toMatchObject({ state: 'running', pid });
    expect(appsUnder(a.workdir)).toEqual([pid]);
  });

  test('a running application that stops answering is flagged unhealthy, and healthy again once it answers', async () => {
    // a frozen process: alive, but its health check times out
    process.kill(pid, 'SIGSTOP');
    try {
      const sick = await heartbeatWhere(a, (h) => h.app.healthy === false);
      expect(sick.app).toMatchObject({ state: 'running', pid });
      expect(sick.app.reason).toMatch(/health check failed/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const well = await heartbeatWhere(a, (h) => h.app.healthy === true);
    expect(well.app.reason).toBeUndefined();
    expect(well.app.pid).toBe(pid);
  });

  test('cluster and client reconfiguration reach the running application', async () => {
    const members = [
      { node: 'a1', address: a.address, port: PORT, version: 'v1' },
      { node: 'b7', address: `${NET}.7`, port: PORT, version: 'v1' },
    ];
    const st = await req(a, Agent.Verb.clusterReconfigure, { members });
    expect(st.members).toEqual(members);
    expect(st.app.pid).toBe(pid);
    await eventually('members reloaded', async () => {
      const res = await get(`${base()}/members`);
      return res.body.map((m: { node: string }) => m.node).join(',') === 'a1,b7' || undefined;
    });

    const endpoints = [{ node: 'db-1', address: `${NET}.9`, port: 5432 }];
    const st2 = await req(a, Agent.Verb.clientReconfigure, { provider: 'db', endpoints });
    expect(st2.endpoints).toEqual({ db: endpoints });
    const config = JSON.parse(readFileSync(join(a.workdir, 'app', 'config.json'), 'utf8')) as Agent.AppConfig;
    expect(config.endpoints).toEqual({ db: endpoints });
    expect(config.members).toEqual(members);
  });

  test('a message that breaks the contract gets a structured error', async () => {
    const res = await req<{ error: { err_code: string } }>(a, Agent.Verb.clusterReconfigure, { members: 'nope' });
    expect(res.error.err_code).toBe('invalid_request');
  });

  test('after kill -9 of the agent, a new agent adopts the running application', async () => {
    a.proc!.kill('SIGKILL');
    await exited(a.proc!);
    // the application lives on, as on a real host
    expect((await get(`${base()}/`)).body.pid).toBe(pid);

    await startAgent(a);
    const st = await req(a, Agent.Verb.status);
    expect(st.app).toMatchObject({ state: 'running', pid });
    expect(st.members.map((m) => m.node)).toEqual(['a1', 'b7']);
    const again = await req(a, Agent.Verb.appStart);
    expect(again.app.pid).toBe(pid);
    await sleep(300);
    expect(appsUnder(a.workdir)).toEqual([pid]);
    // the adopted app still takes reconfigurations
    await req(a, Agent.Verb.clusterReconfigure, { members: [{ node: 'a1', address: a.address, port: PORT }] });
    await eventually('members reloaded', async () => ((await get(`${base()}/members`)).body.length === 1 ? true : undefined));
  });

  test('stop ends the application and frees its port; stopping again is fine', async () => {
    const st = await req(a, Agent.Verb.appStop);
    expect(st.app.state).toBe('stopped');
    expect(st.app.pid).toBeUndefined();
    expect(await refused(`${base()}/`)).toBe(true);
    await eventually('app process gone', () => !alive(pid) || undefined);
    const again = await req(a, Agent.Verb.appStop);
    expect(again.app.state).toBe('stopped');
  });

  test('an application that dies is reported failed and not restarted', async () => {
    const st = await req(a, Agent.Verb.appStart);
    expect(st.app.state).toBe('running');
    expect(st.app.pid).not.toBe(pid);
    pid = st.app.pid!;
    process.kill(pid, 'SIGKILL');
    const hb = await heartbeatWhere(a, (h) => h.app.state === 'failed');
    expect(hb.app.reason).toMatch(/SIGKILL/);
    await sleep(500);
    expect(appsUnder(a.workdir)).toEqual([]);
    expect((await req(a, Agent.Verb.status)).app.state).toBe('failed');
  });

  test('start of an application that never becomes healthy fails the step and leaves nothing running', async () => {
    const b = host('a2', 2);
    await startAgent(b);
    await req(b, Agent.Verb.appCreate, appCreate(b, { env: { BACKEND_UNHEALTHY: '1' }, timeoutMs: 1000 }));
    const t0 = Date.now();
    const res = await req<{ error: { err_code: string; description: string } }>(b, Agent.Verb.appStart);
    expect(res.error).toMatchObject({ err_code: 'step_failed' });
    expect(res.error.description).toMatch(/did not become healthy/);
    expect(Date.now() - t0).toBeLessThan(8000);
    const st = await req(b, Agent.Verb.status);
    expect(st.app.state).toBe('failed');
    expect(appsUnder(b.workdir)).toEqual([]);
    expect(await refused(`http://${b.address}:${PORT}/`)).toBe(true);

    const destroyed = await req(b, Agent.Verb.appDestroy);
    expect(destroyed.app.state).toBe('absent');
    expect(existsSync(join(b.workdir, 'app'))).toBe(false);
    expect((await req(b, Agent.Verb.appDestroy)).app.state).toBe('absent');

    const missing = appCreate(b);
    missing.app.command = join(root, 'no-such-program');
    await req(b, Agent.Verb.appCreate, missing);
    const res2 = await req<{ error: { err_code: string; description: string } }>(b, Agent.Verb.appStart);
    expect(res2.error).toMatchObject({ err_code: 'step_failed', description: expect.stringMatching(/ENOENT/) });

    // SIGTERM to the agent stops what it runs (here: nothing) and ends it
    const gone = exited(b.proc!);
    b.proc!.kill('SIGTERM');
    expect(await gone).toEqual({ code: 0, signal: null });
  });

  test('SIGTERM to the agent stops its application first', async () => {
    const c = host('a3', 3);
    await startAgent(c);
    await req(c, Agent.Verb.appCreate, appCreate(c));
    const st = await req(c, Agent.Verb.appStart);
    const appPid = st.app.pid!;
    expect(alive(appPid)).toBe(true);
    const gone = exited(c.proc!);
    c.proc!.kill('SIGTERM');
    expect(await gone).toEqual({ code: 0, signal: null });
    expect(alive(appPid)).toBe(false);
    expect(await refused(`http://${c.address}:${PORT}/`)).toBe(true);
    expect(output.get(`a3/${c.proc!.pid}`)).toMatch(/application stopped/);
  });

  test('shutdown stops the application, replies, and ends the agent', async () => {
    const st = await req(a, Agent.Verb.appStart);
    expect(st.app.state).toBe('running');
    const appPid = st.app.pid!;
    const gone = exited(a.proc!);
    const reply = await req<object>(a, Agent.Verb.shutdown);
    expect(reply).toEqual({});
    expect(await gone).toEqual({ code: 0, signal: null });
    expect(alive(appPid)).toBe(false);
    expect(appsUnder(a.workdir)).toEqual([]);
    // every log line names the node
    const lines = output
      .get(`a1/${a.proc!.pid}`)!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.every((l) => l.node === 'a1')).toBe(true);
  });
});

describe('vnf-agent with an application no state records', () => {
  test('after a kill -9 between spawn and save, the restarted agent adopts the stray instead of starting a second app', async () => {
    const h = host('a4', 4);
    await startAgent(h);
    await req(h, Agent.Verb.appCreate, appCreate(h));
    h.proc!.kill('SIGKILL');
    await exited(h.proc!);
    const stray = await startStray(h, 'v1');
    expect(JSON.parse(readFileSync(join(h.workdir, 'agent-state.json'), 'utf8'))).toMatchObject({ state: 'created' });

    await startAgent(h);
    await req(h, Agent.Verb.appCreate, appCreate(h));
    const st = await req(h, Agent.Verb.appStart);
    expect(st.app).toMatchObject({ state: 'running', healthy: true, pid: stray });
    expect(appsUnder(h.workdir)).toEqual([stray]);
    expect((await get(`http://${h.address}:${PORT}/`)).body).toMatchObject({ node: 'a4', version: 'v1', pid: stray });
    // the adopted app takes reconfigurations, and survives them
    const members = [
      { node: 'a4', address: h.address, port: PORT, version: 'v1' },
      { node: 'b8', address: `${NET}.8`, port: PORT, version: 'v1' },
    ];
    await req(h, Agent.Verb.clusterReconfigure, { members });
    await eventually('members reloaded', async () => ((await get(`http://${h.address}:${PORT}/members`)).body.length === 2 ? true : undefined));
    expect(alive(stray)).toBe(true);
    // and a stop stops it
    expect((await req(h, Agent.Verb.appStop)).app.state).toBe('stopped');
    await eventually('stray stopped', () => !alive(stray) || undefined);
    expect(appsUnder(h.workdir)).toEqual([]);
  });

  test('a stray of another version is killed, and the answering app is the one started, of the spec version', async () => {
    const h = host('a5', 5);
    await startAgent(h);
    await req(h, Agent.Verb.appCreate, appCreate(h));
    const stray = await startStray(h, 'v0');

    await req(h, Agent.Verb.appCreate, appCreate(h));
    const st = await req(h, Agent.Verb.appStart);
    expect(st.app).toMatchObject({ state: 'running', healthy: true, version: 'v1' });
    expect(st.app.pid).not.toBe(stray);
    expect(alive(stray)).toBe(false);
    expect(appsUnder(h.workdir)).toEqual([st.app.pid]);
    expect((await get(`http://${h.address}:${PORT}/`)).body).toMatchObject({ node: 'a5', version: 'v1', pid: st.app.pid });
  });

  test('a port held by a process that is not ours fails the start instead of taking its answers', async () => {
    const h = host('a6', 6);
    await startAgent(h);
    await req(h, Agent.Verb.appCreate, appCreate(h));
    const squatter = http.createServer((_req, res) => res.end(JSON.stringify({ status: 'ok' })));
    await new Promise<void>((r) => squatter.listen(PORT, h.address, r));
    try {
      const res = await req<{ error: { err_code: string; description: string } }>(h, Agent.Verb.appStart);
      expect(res.error).toEqual(expect.objectContaining({ err_code: 'step_failed', description: `port ${PORT} on ${h.address} is taken by another process` }));
      expect(appsUnder(h.workdir)).toEqual([]);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    const st = await req(h, Agent.Verb.appStart);
    expect(st.app).toMatchObject({ state: 'running', healthy: true });
    expect((await get(`http://${h.address}:${PORT}/`)).body.pid).toBe(st.app.pid);
  });
});
