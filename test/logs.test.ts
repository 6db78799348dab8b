import { execFile, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Access, Lifecycle, Query, Vim, type Descriptor } from '@vnf-lcm/contracts';
import { DockerClient } from '../apps/vim-adapter/src/drivers/docker/client.js';
import { ROOT, System } from './support/system.js';
import { dockerReady } from './support/docker.js';

/**
 * `vnfctl logs` (vnf.ao.node-logs, then vnf.vim.host-logs to the host's driver) against a secured
 * System with a process zone and a docker zone: the application's log, the agent's, --follow.
 * Octet 62: 61 is test/chaos/docker.test.ts's.
 */
const sys = new System(62, {}, { dockerZone: true });
const SCOPE = sys.dockerScope!;
const CLI = join(ROOT, 'apps/vnfctl/dist/main.js');
const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
const docker = new DockerClient(SOCKET);
const T = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NATS_URL', 'NATS_CREDS', 'NATS_TLS_CA']) delete env[k];
  return { ...env, ...sys.envOf(Access.Role.devops) };
}

function vnfctl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '-s', sys.nats.url, ...args], { env: cliEnv(), timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim());

/** the backend example on one node of each zone */
const descriptor: Descriptor.VnfDescriptor = {
  name: 'logs',
  clusters: [
    {
      name: 'proc',
      nodes: 1,
      max: 3,
      app: { version: 'v1', command: 'node', args: ['backend.mjs'], cwd: join(ROOT, 'examples/apps'), port: 8080, reload: { signal: 'SIGHUP' } },
      health: { http: '/health', intervalMs: 50, timeoutMs: 10_000 },
    },
    {
      name: 'boxed',
      nodes: 1,
      max: 3,
      zone: 'box',
      app: {
        version: 'v1',
        command: 'node',
        args: ['backend.mjs'],
        cwd: join(ROOT, 'examples/apps'),
        docker: { cwd: '/srv/examples/apps' },
        port: 8080,
        reload: { signal: 'SIGHUP' },
      },
      health: { http: '/health', intervalMs: 50, timeoutMs: 10_000 },
    },
  ],
} as Descriptor.VnfDescriptor;

let procNode: string;
let boxNode: string;

beforeAll(async () => {
  await dockerReady(docker, ROOT);
  await sys.start();
  expect((await sys.deploy(descriptor)).state).toBe('COMPLETED');
  const v = await sys.vnf('logs');
  procNode = v.nodes.proc[0].node;
  boxNode = v.nodes.boxed[0].node;
}, T);

afterAll(async () => {
  await sys.stop();
  const left = await docker.list([`vnf-lcm.scope=${SCOPE}`]).catch(() => []);
  await Promise.all(left.map((c) => docker.remove(c.Id, { force: true }).catch(() => undefined)));
}, 90_000);

/** `vnfctl logs <node> --follow ...` until `until` holds for what it printed after its first `skip` lines; then Ctrl-C */
async function follow(
  args: string[],
  skip: number,
  until: (later: string[]) => boolean,
  meanwhile: () => Promise<void>,
): Promise<{ later: string[]; code: number | null }> {
  const child = spawn(process.execPath, [CLI, '-s', sys.nats.url, 'logs', ...args, '--follow'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    for (const until = Date.now() + 20_000; lines(out).length < skip; await new Promise((r) => setTimeout(r, 100)))
      if (Date.now() > until) throw new Error(`no first lines from vnfctl logs --follow: ${out} ${err}`);
    await meanwhile();
    for (const deadline = Date.now() + 60_000; !until(lines(out).slice(skip)); await new Promise((r) => setTimeout(r, 100)))
      if (Date.now() > deadline) throw new Error(`vnfctl logs --follow never printed the new line; it printed:\n${out}\n${err}`);
  } finally {
    child.kill('SIGINT');
  }
  const code = await exited;
  expect(err).toBe('');
  return { later: lines(out).slice(skip), code };
}

async function scaleOut(cluster: string): Promise<void> {
  const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'logs', cluster, by: 1 });
  expect((await sys.waitOp(r.op)).state).toBe('COMPLETED');
}

describe.each([
  ['process', 'proc', () => procNode],
  ['docker', 'boxed', () => boxNode],
])('vnfctl logs on a %s node', (_kind, cluster, node) => {
  test(
    "shows the backend's own output",
    async () => {
      const r = await vnfctl(['logs', node()]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const listening = lines(r.stdout)
        .map((l) => JSON.parse(l) as { msg: string; node: string })
        .find((l) => l.msg === 'listening');
      expect(listening).toMatchObject({ node: node() });
    },
    T,
  );

  test(
    "--agent shows the agent's JSON lines; --tail and --json",
    async () => {
      const r = await vnfctl(['logs', node(), '--agent']);
      expect(r.code).toBe(0);
      const agent = lines(r.stdout).flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      expect(agent.length).toBeGreaterThan(0);
      expect(agent.some((l) => l.node === node() || JSON.stringify(l).includes(node()))).toBe(true);
      // in a container as on the machine, the agent compiled from the build's code cache (ADR 30)
      expect(agent.find((l) => l.msg === 'agent started')).toMatchObject({ codeCache: 'used' });
      const j = await vnfctl(['--json', 'logs', node(), '--agent', '--tail', '2']);
      expect(j.code).toBe(0);
      const reply = JSON.parse(j.stdout) as Query.NodeLogsReply;
      expect(reply).toMatchObject({ node: node(), cursor: expect.any(String) });
      expect(reply.lines).toHaveLength(2);
      expect(reply.lines).toEqual(lines(r.stdout).slice(-2));
    },
    T,
  );

  test(
    '--follow prints the line the application writes afterwards (a reconfigure: config reloaded), and stops on Ctrl-C',
    async () => {
      const { later, code } = await follow(
        [node(), '--tail', '1'],
        1,
        (l) => l.some((x) => x.includes('config reloaded')),
        () => scaleOut(cluster),
      );
      expect(later.some((x) => x.includes('config reloaded'))).toBe(true);
      expect(code).toBe(0);
    },
    T,
  );

  test(
    '--follow --agent prints what the agent logs afterwards',
    async () => {
      const before = lines((await vnfctl(['logs', node(), '--agent', '--tail', '10000'])).stdout).length;
      const { later, code } = await follow(
        [node(), '--agent', '--tail', '1'],
        1,
        (l) => l.length > 0,
        () => scaleOut(cluster),
      );
      expect(later.length).toBeGreaterThan(0);
      const after = lines((await vnfctl(['logs', node(), '--agent', '--tail', '10000'])).stdout);
      expect(after.length).toBeGreaterThan(before);
      // what follow printed are the newest lines, in order, none twice
      expect(after.slice(before)).toEqual(expect.arrayContaining(later));
      expect(code).toBe(0);
    },
    T,
  );
});

test('an unknown node is exit 1 not_found', async () => {
  const r = await vnfctl(['logs', 'logs-nope-9']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/not_found/);
  const j = await vnfctl(['--json', 'logs', 'logs-nope-9']);
  expect(j.code).toBe(1);
  expect(JSON.parse(j.stderr).error.err_code).toBe('not_found');
});

test('--app and --agent together are a usage error (exit 2)', async () => {
  const r = await vnfctl(['logs', procNode, '--app', '--agent']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/invalid_request/);
});

test('DevOps may ask the AO but not the VIM: vnf.vim.host-logs is a permissions violation', async () => {
  const nc = await sys.connectAs(Access.Role.devops, 'logs-devops');
  try {
    const ok = await nc.request(Query.Subject.nodeLogs, JSON.stringify({ node: procNode, tail: 1 }), { timeout: 10_000 });
    expect((ok.json() as Query.NodeLogsReply).lines).toHaveLength(1);
    await expect(
      nc.request(Vim.subject(Vim.Verb.hostLogs, 'local'), JSON.stringify({ node: procNode, source: 'agent', tail: 1 }), { timeout: 3_000 }),
    ).rejects.toThrow(/Permissions Violation/i);
  } finally {
    await nc.close();
  }
});

test('an observer may read logs: a read as the others', async () => {
  const nc = await sys.connectAs(Access.Role.observer, 'logs-observer');
  try {
    const ok = await nc.request(Query.Subject.nodeLogs, JSON.stringify({ node: boxNode, tail: 1, source: 'agent' }), { timeout: 10_000 });
    expect((ok.json() as Query.NodeLogsReply).lines).toHaveLength(1);
  } finally {
    await nc.close();
  }
});
