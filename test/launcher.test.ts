import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { findProcesses } from './support/procs.js';
import { saidLines } from './support/launcher.js';
import { freePorts } from './support/nats-server.js';
import { httpGet, killProcessesUnder, processesUnder, ROOT } from './support/system.js';

/**
 * The launcher as `npm run demo` runs it: its own nats-server, the three services supervised,
 * the example deployed, and Ctrl-C tearing it all down. Its own folder, ports and 127.46/16
 * (VNF_TEST_OCTET moves it elsewhere, as it moves a System).
 */
const OCTET = Number(process.env.VNF_TEST_OCTET ?? 46);
const T = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'vnf-launcher-'));
// agents run as an unprivileged user when the test runs as root: it must reach the hosts' folders
chmodSync(dir, 0o711);
/** what the launcher made in --data: an identity per role, and the CA its server's certificate comes from */
const security = (role: string) => ({
  authenticator: credsAuthenticator(readFileSync(join(dir, 'data/security/identity/creds', `${role}.creds`))),
  tls: { caFile: join(dir, 'data/security/tls/ca.pem') },
});
let launcher: ChildProcess;
let out = '';
let nc: NatsConnection | undefined;
let natsPort: number;
let monitorPort: number;
let consolePort: number;
let wsPort: number;

async function until<V>(fn: () => V | undefined | Promise<V | undefined>, what: string, timeoutMs = 60_000): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; launcher said:\n${out.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** the launcher's direct child whose command line contains `needle` */
function childOf(ppid: number, needle: string): number | undefined {
  return findProcesses((p) => p.ppid === ppid && p.cmd.join('\0').includes(needle))[0];
}

/** the launcher's output, one JSON record per line (apps/launcher/src/log-lines.ts) */
const records = () =>
  out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { service: string; level: string; msg: string });
/** its messages as `[service] msg` lines, for the checks that read them */
const said = () => saidLines(out);

const exited = () => launcher.exitCode !== null || launcher.signalCode !== null;

/** the launcher's exit code, or undefined if it is still running after `ms` */
function exitWithin(ms: number): Promise<number | null | undefined> {
  if (exited()) return Promise.resolve(launcher.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    launcher.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

beforeAll(async () => {
  [natsPort, monitorPort, consolePort, wsPort] = await freePorts(4);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIM_ZONES: JSON.stringify({ defaultZone: 'local', zones: [{ name: 'local', driver: 'process', range: `127.${OCTET}.0.0/16`, root: join(dir, 'hosts') }] }),
  };
  delete env.NATS_URL; // the launcher must start its own server
  const args = [
    '--data',
    join(dir, 'data'),
    '--port',
    String(natsPort),
    '--monitor',
    String(monitorPort),
    '--console',
    String(consolePort),
    '--websocket',
    String(wsPort),
    '--fresh',
    '--teardown',
    '--deploy',
    join(ROOT, 'examples/web.yaml'),
  ];
  // its own process group, so that the test can press Ctrl-C as a terminal does: to the whole group
  launcher = spawn(process.execPath, [join(ROOT, 'apps/launcher/dist/main.js'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  launcher.stdout!.on('data', (d) => (out += d));
  launcher.stderr!.on('data', (d) => (out += d));
}, T);

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  if (!exited()) {
    const gone = exitWithin(30_000);
    launcher.kill('SIGINT');
    if ((await gone) === undefined) launcher.kill('SIGKILL');
  }
  killProcessesUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}, T);

test(
  'deploys the example and prints a URL where a frontend answers with a backend',
  async () => {
    const url = await until(() => /\bcurl (http:\/\/\S+)/.exec(said())?.[1], 'a curl line', 90_000);
    expect(url).toMatch(new RegExp(`^http://127\\.${OCTET}\\.\\d+\\.\\d+:8000/$`));
    const r = await httpGet(url);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ node: expect.stringMatching(/^web-backend-\d+$/), version: 'v1' });
    expect(said()).toMatch(/^\[vnfctl\] operation \S+ COMPLETED in /m);
    expect(said()).not.toMatch(/deployment did not complete/);
  },
  T,
);

test(
  "every line it printed is a JSON object naming its writer in service: the services', nats-server's, vnfctl's and its own",
  async () => {
    const rs = records();
    expect(rs.every((r) => typeof r.service === 'string' && typeof r.level === 'string' && typeof r.msg === 'string')).toBe(true);
    expect([...new Set(rs.map((r) => r.service))]).toEqual(expect.arrayContaining(['vnf-lcm', 'nats', 'orchestrator', 'vnfm', 'vim-adapter', 'vnfctl']));
    // a service's pino line passed on with its own fields
    expect(rs.some((r) => r.service === 'orchestrator' && r.level === 'info' && typeof (r as { time?: unknown }).time === 'string')).toBe(true);
  },
  T,
);

test(
  'serves the web console on --console, its page pointed at the WebSocket listener with the observer identity',
  async () => {
    await until(() => /web console on/.test(out) || undefined, 'the console line', 30_000);
    const page = await until(
      async () => (await httpGet(`http://127.0.0.1:${consolePort}/`).catch(() => undefined))?.status === 200 || undefined,
      'the console',
      30_000,
    );
    expect(page).toBe(true);
    const cfg = (await httpGet(`http://127.0.0.1:${consolePort}/config.json`)).body as { ws: string; creds: string };
    expect(cfg.ws).toBe(`ws://127.0.0.1:${wsPort}`);
    expect(cfg.creds).toContain('BEGIN NATS USER JWT');
    // the WebSocket listener answers (an HTTP GET without the upgrade is refused, but answered)
    expect((await fetch(`http://127.0.0.1:${wsPort}/`)).status).toBeGreaterThanOrEqual(400);
  },
  T,
);

test(
  'every service and agent is a named connection on its monitoring port',
  async () => {
    const connz = (await httpGet(`http://127.0.0.1:${monitorPort}/connz?limit=1024`)).body as { connections: { name?: string }[] };
    const names = connz.connections.map((c) => c.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['orchestrator', 'vnfm', 'vim-adapter']));
    expect(names.filter((n) => n.startsWith('vnf-agent/web-')).sort()).toEqual(
      ['web-backend-1', 'web-backend-2', 'web-backend-3', 'web-frontend-1', 'web-frontend-2'].map((n) => `vnf-agent/${n}`),
    );
  },
  T,
);

test(
  'its server refuses anonymous clients; DevOps credentials from --data reach vnf.ao.* and nothing internal',
  async () => {
    const anon = await connect({ servers: `nats://127.0.0.1:${natsPort}`, reconnect: false, tls: { caFile: join(dir, 'data/security/tls/ca.pem') } }).then(
      (c) => c.close().then(() => 'connected'),
      (e: Error) => e.message,
    );
    expect(anon).toMatch(/Authorization Violation/i);
    const devops = await connect({ servers: `nats://127.0.0.1:${natsPort}`, name: 'launcher-test-devops', ...security('devops') });
    try {
      const { vnfs } = (await devops.request('vnf.ao.vnf-list', '{}', { timeout: 5000 })).json<{ vnfs: { name: string }[] }>();
      expect(vnfs.map((v) => v.name)).toEqual(['web']);
      await expect(devops.request('vnf.vim.host-list.local', '{}', { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
    } finally {
      await devops.close();
    }
  },
  T,
);

test(
  'a vnfm killed with SIGKILL is started again by the supervisor and answers again',
  async () => {
    nc = await connect({ servers: `nats://127.0.0.1:${natsPort}`, name: 'launcher-test', ...security('admin') });
    const clusters = async () => {
      try {
        const m = await nc!.request('vnf.vnfm.cluster-get', JSON.stringify({ vnf: 'web' }), { timeout: 1000 });
        return m
          .json<{ clusters?: { name: string }[] }>()
          .clusters?.map((c) => c.name)
          .sort();
      } catch {
        return undefined;
      }
    };
    expect(await clusters()).toEqual(['backend', 'frontend']);
    const before = childOf(launcher.pid!, 'apps/vnfm/dist/main.js');
    expect(before).toBeDefined();
    process.kill(before!, 'SIGKILL');
    await until(() => /^\[vnfm\] exited \(SIGKILL\)/m.test(said()), '[vnfm] exited');
    const after = await until(() => {
      const p = childOf(launcher.pid!, 'apps/vnfm/dist/main.js');
      return p !== before ? p : undefined;
    }, 'a new vnfm');
    expect(after).not.toBe(before);
    expect(await until(clusters, 'vnf.vnfm.cluster-get to answer again')).toEqual(['backend', 'frontend']);
    await nc.close();
    nc = undefined;
  },
  T,
);

test(
  'Ctrl-C (SIGINT to its process group) terminates the VNF, stops everything, and exits 0 within 30 s',
  async () => {
    expect(processesUnder(dir).length).toBeGreaterThan(5);
    const gone = exitWithin(30_000);
    const started = Date.now();
    process.kill(-launcher.pid!, 'SIGINT');
    expect(await gone).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(said()).toMatch(/^\[vnf-lcm\] web terminated \(op \S+\)$/m);
    expect(said()).toMatch(/^\[vnf-lcm\] removed 0 virtual hosts$/m);
    expect(said()).toMatch(/^\[vnf-lcm\] stopped$/m);
    expect(records().length).toBeGreaterThan(10);
    expect(processesUnder(dir)).toEqual([]);
  },
  T,
);
