import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { saidLines } from './support/launcher.js';
import { freePorts } from './support/nats-server.js';
import { hostProcesses, killProcessesUnder, processesUnder, ROOT } from './support/system.js';

/**
 * Ctrl-C of the launcher, with and without --teardown, over one --data folder (issue 13.7):
 * with it, every VNF is terminated through the AO (no healing races the removals) and nothing
 * of the hosts is left; without it, the hosts outlive the launcher and the next start on the
 * same folder takes them back. Its own folder, free ports and 127.70/16 (VNF_TEST_OCTET moves it
 * elsewhere, as it moves a System).
 */
const OCTET = Number(process.env.VNF_TEST_OCTET ?? 70);
const T = 240_000;
const dir = mkdtempSync(join(tmpdir(), 'vnf-teardown-'));
// agents run as an unprivileged user when the test runs as root: it must reach the hosts' folders
chmodSync(dir, 0o711);
const data = join(dir, 'data');
const hostsRoot = join(dir, 'hosts');
/**
 * examples/web.yaml with backends slow to stop (test/fixtures/apps/slow-stop.mjs): their hosts go
 * seconds after the frontends' do, a window in which a VNFM that took the silence of the first
 * ones for failures would ask for healing
 */
const descriptor = join(dir, 'web.yaml');
const FIXTURES = join(ROOT, 'test/fixtures/apps');
writeFileSync(
  descriptor,
  readFileSync(join(ROOT, 'examples/web.yaml'), 'utf8')
    .replace('args: [backend.mjs]\n      cwd: apps\n', `args: [slow-stop.mjs]\n      cwd: ${FIXTURES}\n      env: { STOP_DELAY_MS: '2000' }\n`)
    // relative to the descriptor's folder, which is the test's here
    .replaceAll('cwd: apps', `cwd: ${join(ROOT, 'examples/apps')}`),
);
const NODES = ['web-backend-1', 'web-backend-2', 'web-backend-3', 'web-frontend-1', 'web-frontend-2'];

/** One run of the launcher: its output as `[service] msg` lines, and Ctrl-C as a terminal sends it. */
class Run {
  out = '';
  readonly proc: ChildProcess;
  readonly exit: Promise<number | null>;

  constructor(
    readonly port: number,
    monitor: number,
    flags: string[],
  ) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // the VNFM knows a silent node sooner than hosts go away: any healing a teardown provokes is asked for
      VNF_HEARTBEAT_MS: '100',
      VNF_APP_ROOTS: `${join(ROOT, 'examples')}:${FIXTURES}`,
      VNFM_FAILURE_MS: '350',
      VIM_ZONES: JSON.stringify({ defaultZone: 'local', zones: [{ name: 'local', driver: 'process', range: `127.${OCTET}.0.0/16`, root: hostsRoot }] }),
    };
    delete env.NATS_URL; // the launcher must start its own server
    const args = ['--data', data, '--port', String(port), '--monitor', String(monitor), '--no-console', ...flags];
    // its own process group, so that Ctrl-C goes to the whole group as a terminal sends it
    this.proc = spawn(process.execPath, [join(ROOT, 'apps/launcher/dist/main.js'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.proc.stdout!.on('data', (d) => (this.out += d));
    this.proc.stderr!.on('data', (d) => (this.out += d));
    this.exit = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  said(): string {
    return saidLines(this.out);
  }

  async until(re: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.said());
      if (m) return m;
      if (this.proc.exitCode !== null) throw new Error(`launcher exited (${this.proc.exitCode}) before ${re}; it said:\n${this.said().slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; launcher said:\n${this.said().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  ctrlC(): Promise<number | null> {
    process.kill(-this.proc.pid!, 'SIGINT');
    return this.exit;
  }

  connectAs(role: string): Promise<NatsConnection> {
    return connect({
      servers: `nats://127.0.0.1:${this.port}`,
      name: `teardown-test-${role}`,
      authenticator: credsAuthenticator(readFileSync(join(data, 'security/identity/creds', `${role}.creds`))),
      tls: { caFile: join(data, 'security/tls/ca.pem') },
    });
  }
}

/** the hosts' folders the process driver made under the zone's root */
const hostFolders = () => (existsSync(hostsRoot) ? readdirSync(hostsRoot).filter((f) => statSync(join(hostsRoot, f)).isDirectory()) : []);

/**
 * What a teardown left, all at once so that a failure shows the whole of it: its exit code, the
 * healings the VNFM asked for (`said`: the run's output), and the agents, applications, host
 * folders and processes still there.
 */
const leftAfter = (code: number | null, said: string) => ({
  code,
  healingAsked: said.match(/^\[vnfm\] node failed/gm)?.length ?? 0,
  left: hostProcesses(dir),
  folders: hostFolders(),
  processes: processesUnder(dir).length,
});
const NOTHING_LEFT = { code: 0, healingAsked: 0, left: { agents: [], apps: [] }, folders: [], processes: 0 };

const opsOf = async (nc: NatsConnection) =>
  (await nc.request('vnf.ao.op-list', JSON.stringify({ vnf: 'web' }), { timeout: 5000 })).json<{
    ops: { id: string; algorithm: string; state: string; requestedBy: string; startedAt: string }[];
  }>().ops;

let run: Run | undefined;
/** the same ports at every start, as an operator's launcher has: the agents left running reconnect there */
let ports: [number, number];
beforeAll(async () => {
  ports = (await freePorts(2)) as [number, number];
});

afterAll(async () => {
  if (run && run.proc.exitCode === null && run.proc.signalCode === null) {
    const t = setTimeout(() => run!.proc.kill('SIGKILL'), 60_000);
    await run.ctrlC();
    clearTimeout(t);
  }
  killProcessesUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}, T);

let tornDownAt = '';

test(
  'Ctrl-C with --teardown terminates the VNF through the AO: no agent, application or host folder is left, no healing is asked for, exit 0',
  async () => {
    run = new Run(...ports, ['--fresh', '--teardown', '--deploy', descriptor]);
    await run.until(new RegExp(`^\\[vnf-lcm\\] web: curl http://127\\.${OCTET}\\.\\d+\\.\\d+:8000/$`, 'm'));
    await run.until(/^\[vnf-lcm\] running; Ctrl-C stops everything$/m);
    expect(hostProcesses(dir)).toEqual({ agents: NODES, apps: NODES });
    expect(hostFolders().length).toBe(NODES.length);
    // the operations started from now on are read back on the next start (they are kept in --data)
    tornDownAt = new Date().toISOString();
    const code = await run.ctrlC();
    const said = run.said();
    // all at once, so that a failure shows the whole of what was left
    expect(leftAfter(code, said)).toEqual(NOTHING_LEFT);
    expect(said).toMatch(/^\[vnf-lcm\] web terminated \(op \S+\)$/m);
    expect(said).toMatch(/^\[vnf-lcm\] stopped$/m);
  },
  T,
);

test(
  'the next start on that folder lists the termination and no healing; the name deploys again; Ctrl-C without --teardown leaves its hosts running',
  async () => {
    run = new Run(...ports, ['--deploy', descriptor]);
    await run.until(/^\[vnf-lcm\] running; Ctrl-C stops everything$/m);
    const devops = await run.connectAs('devops');
    try {
      const ops = await opsOf(devops);
      const during = ops.filter((o) => o.startedAt >= tornDownAt);
      // the teardown's one operation, and the deployment of this run: no healing, no scaling
      expect(during.map((o) => o.algorithm).sort()).toEqual(['deployment', 'terminate']);
      expect(during.every((o) => o.state === 'COMPLETED' && o.requestedBy === 'DevOps')).toBe(true);
      expect(ops.filter((o) => o.algorithm === 'healing')).toEqual([]);
    } finally {
      await devops.close();
    }
    // new node ids after a termination (ADR 20): five new hosts, none of the removed ones
    const hosts = hostProcesses(dir);
    expect(hosts.agents).toHaveLength(NODES.length);
    expect(hosts.agents.filter((n) => NODES.includes(n))).toEqual([]);
    expect(hosts.apps).toEqual(hosts.agents);
    expect(await run.ctrlC()).toBe(0);
    expect(run.said()).not.toMatch(/terminat/);
    expect(run.said()).not.toMatch(/^\[vnfm\] node failed/m);
    // hosts outlive the launcher (README: Running it); only the launcher's own processes are gone
    expect(hostProcesses(dir)).toEqual(hosts);
    expect(hostFolders().length).toBe(NODES.length);
  },
  T,
);

test(
  'a start on that folder again takes the hosts back; Ctrl-C with --teardown then leaves nothing',
  async () => {
    const before = hostProcesses(dir);
    run = new Run(...ports, ['--teardown']);
    await run.until(/^\[vnf-lcm\] running; Ctrl-C stops everything$/m);
    const devops = await run.connectAs('devops');
    try {
      const v = (await devops.request('vnf.ao.vnf-get', JSON.stringify({ vnf: 'web' }), { timeout: 5000 })).json<{
        vnf: { state: string; nodes: Record<string, { node: string }[]> };
      }>().vnf;
      expect(v.state).toBe('INSTANTIATED');
      expect(
        Object.values(v.nodes)
          .flat()
          .map((n) => n.node)
          .sort(),
      ).toEqual(before.agents);
      // heard again once their agents reconnected: none taken for dead meanwhile (VNFM_START_GRACE_MS)
      const unheard = async () =>
        (await devops.request('vnf.ao.node-health', JSON.stringify({ vnf: 'web' }), { timeout: 5000 }))
          .json<{ nodes: { node: string; lastSeen?: string }[] }>()
          .nodes.filter((n) => !n.lastSeen)
          .map((n) => n.node);
      for (const until = Date.now() + 30_000; (await unheard()).length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      expect(await unheard()).toEqual([]);
    } finally {
      await devops.close();
    }
    expect(await run.ctrlC()).toBe(0);
    expect(run.said()).toMatch(/^\[vnf-lcm\] web terminated \(op \S+\)$/m);
    expect(run.said()).not.toMatch(/^\[vnfm\] node failed/m);
    expect(hostProcesses(dir)).toEqual({ agents: [], apps: [] });
    expect(processesUnder(dir)).toEqual([]);
    expect(hostFolders()).toEqual([]);
  },
  T,
);

test(
  'Ctrl-C with --teardown while the deployment runs: the deployment is waited for, then terminated; nothing is left',
  async () => {
    run = new Run(...ports, ['--fresh', '--teardown', '--deploy', descriptor]);
    await run.until(/^\[vim-adapter\] virtual host activated$/m);
    const code = await run.ctrlC();
    const said = run.said();
    expect(leftAfter(code, said)).toEqual(NOTHING_LEFT);
    expect(said).toMatch(/^\[vnf-lcm\] web: waiting for operation \S+ to end before terminating$/m);
    expect(said).toMatch(/^\[vnf-lcm\] web terminated \(op \S+\)$/m);
  },
  T,
);

/** a termination cut short leaves hosts for the sweep, which runs with the VNFM and the AO stopped */
async function cutShort(flags: string[], cut: (r: Run) => Promise<void>, said: RegExp) {
  run = new Run(...ports, ['--fresh', '--teardown', '--deploy', descriptor, ...flags]);
  await run.until(/^\[vnf-lcm\] running; Ctrl-C stops everything$/m);
  const exit = run.ctrlC();
  await run.until(/^\[vnf-lcm\] web: terminating \(op \S+\)$/m);
  await cut(run);
  const code = await exit;
  const out = run.said();
  expect(leftAfter(code, out)).toEqual(NOTHING_LEFT);
  expect(out).toMatch(said);
  expect(out).not.toMatch(/^\[vnf-lcm\] web terminated/m);
  // the backends go last and slowly: some were left to the sweep
  const removed = Number(/^\[vnf-lcm\] removed (\d+) virtual hosts$/m.exec(out)?.[1]);
  expect(removed).toBeGreaterThan(0);
  // the sweep came after the VNFM and the AO stopped
  expect(out.indexOf('[vnfm] service stopped')).toBeLessThan(out.search(/^\[vnf-lcm\] removed \d+ virtual hosts$/m));
}

test(
  '--teardown-timeout bounds the wait: the VNF not terminated in time is said, and its hosts are removed directly',
  () =>
    cutShort(
      ['--teardown-timeout', '1'],
      async () => undefined,
      /^\[vnf-lcm\] teardown: web not terminated within 1 s \(termination \S+ still runs\); its hosts are removed directly$/m,
    ),
  T,
);

test(
  'a second Ctrl-C stops waiting for the terminations; the hosts left are removed directly',
  () =>
    cutShort(
      [],
      async (r) => {
        process.kill(-r.proc.pid!, 'SIGINT');
      },
      /^\[vnf-lcm\] Ctrl-C again: not waiting for the terminations; removing the hosts left directly$/m,
    ),
  T,
);
