import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Records } from '@vnf-lcm/contracts';
import { DockerClient } from '../apps/vim-adapter/src/drivers/docker/client.js';
import { ROOT } from './support/system.js';
import { dockerReady } from './support/docker.js';

/**
 * docker-compose.yml as an operator runs it: the images `npm run images` builds, the stack brought
 * up by docker-compose (testcontainers' DockerComposeEnvironment, Compose v1 standalone), the
 * DevOps credentials taken out of the set-up's volume, the container example deployed with the
 * real vnfctl over TLS, a frontend answering through the backends; then every node removed by
 * scaling in to 0 and the stack brought down, with no container of it left. Docker (or
 * docker-compose) that cannot be reached fails the test; it is never skipped.
 */
const TIMEOUT = 180_000;
const PROJECT = `vnfct${process.pid}`;
/** the nodes' containers: a scope and a loopback range of this run's own */
const SCOPE = `ct${process.pid}`;
const RANGE = /^127\.39\.\d{1,3}\.\d{1,3}$/;
const VNFCTL = join(ROOT, 'apps/vnfctl/dist/main.js');
const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
const docker = new DockerClient(SOCKET);

// testcontainers' reaper (ryuk) is an image from a registry: none here; this test cleans up itself
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

type Started = Awaited<ReturnType<InstanceType<typeof import('testcontainers').DockerComposeEnvironment>['up']>>;
let env: Started | undefined;
let tmp: string;
let composeEnv: Record<string, string>;
let client: Record<string, string>;

/** a port free on 127.0.0.1 now (the stack publishes nats-server's ports there) */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function compose(args: string[], timeout = 60_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'docker-compose',
      ['-p', PROJECT, ...args],
      { cwd: ROOT, env: { ...process.env, ...composeEnv }, timeout, maxBuffer: 1 << 24 },
      (err, out, errOut) => (err ? reject(new Error(`docker-compose ${args.join(' ')}: ${err.message}\n${errOut}`)) : resolve(out)),
    ),
  );
}

/** vnfctl, the real CLI, as DevOps: exit code and output */
function vnfctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [VNFCTL, ...args], { env: { ...process.env, ...client }, timeout: 90_000 }, (err, out, errOut) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    ),
  );
}

let consolePort: number;
let wsPort: number;

const nodeContainers = () => docker.list([`vnf-lcm.scope=${SCOPE}`]);
const projectContainers = () => docker.list([`com.docker.compose.project=${PROJECT}`]);

beforeAll(async () => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('docker-compose is not installed (apt-get install docker-compose): this test needs it; it is not skipped');
  }
  // Docker reachable, every image of the stack built when missing or out of date
  await dockerReady(docker, ROOT);
  tmp = mkdtempSync(join(tmpdir(), 'vnf-compose-test-'));
  const [port, monitor] = [await freePort(), await freePort()];
  [consolePort, wsPort] = [await freePort(), await freePort()];
  composeEnv = {
    VNF_NATS_PORT: String(port),
    VNF_NATS_MONITOR_PORT: String(monitor),
    VNF_CONSOLE_PORT: String(consolePort),
    VNF_CONSOLE_WS_PORT: String(wsPort),
    VNF_DOCKER_RANGE: '127.39.0.0/16',
    VNF_SCOPE: SCOPE,
  };
  const { DockerComposeEnvironment, Wait } = await import('testcontainers');
  env = await new DockerComposeEnvironment(ROOT, 'docker-compose.yml')
    .withProjectName(PROJECT)
    .withEnvironment(composeEnv)
    // Debian's docker-compose 1.29 (no `docker compose` plugin here); it names containers <project>_<service>_1
    .withClientOptions({ executable: { standalone: true } })
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    // the server's image has nothing but nats-server, no health check: its log says when it listens
    .withWaitStrategy(`${PROJECT}_nats_1`, Wait.forLogMessage(/Server is ready/))
    .withStartupTimeout(90_000)
    .up();

  // the DevOps credentials and the CA, out of the set-up's volume as the README says
  const creds = join(tmp, 'devops.creds');
  writeFileSync(creds, await compose(['run', '--rm', '-T', 'setup', 'creds', 'devops']), { mode: 0o600 });
  chmodSync(creds, 0o600);
  writeFileSync(join(tmp, 'ca.pem'), await compose(['run', '--rm', '-T', 'setup', 'ca']));
  client = { NATS_URL: `tls://127.0.0.1:${port}`, NATS_CREDS: creds, NATS_TLS_CA: join(tmp, 'ca.pem') };
}, TIMEOUT);

afterAll(async () => {
  // whatever happened above: nothing of this run stays on the Docker host
  for (const c of await nodeContainers().catch(() => [])) await docker.remove(c.Id, { force: true }).catch(() => undefined);
  if (composeEnv) await compose(['down', '-v', '--timeout', '5']).catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, TIMEOUT);

test(
  'the stack is up: each service with its own identity, nothing as root but the VIM adapter',
  async () => {
    expect(env).toBeDefined();
    const all = await projectContainers();
    const running = all
      .filter((c) => c.State === 'running')
      .map((c) => c.Labels?.['com.docker.compose.service'])
      .sort();
    expect(running).toEqual(['console', 'keeper', 'nats', 'orchestrator', 'vim-adapter', 'vnfm']);
    // the set-up made the identities and left
    expect(all.filter((c) => c.Labels?.['com.docker.compose.service'] === 'setup').map((c) => c.State)).toEqual(['exited']);
    // a service's volume holds its own credentials and the CA, nothing else
    const ls = async (service: string) =>
      (
        await env!.getContainer(`${PROJECT}_${service}_1`).exec(['node', '-e', 'console.log(require("fs").readdirSync("/etc/vnf-lcm").sort().join(" "))'])
      ).output.trim();
    expect(await ls('orchestrator')).toBe('ca.pem nats.creds');
    expect(await ls('vnfm')).toBe('ca.pem nats.creds');
    expect(await ls('vim-adapter')).toBe('agent-signer.json ca.pem nats.creds');
    expect(await ls('console')).toBe('nats.creds');
    // the console on the host's loopback, its page pointed at the published WebSocket listener
    const cfg = (await (await fetch(`http://127.0.0.1:${consolePort}/config.json`)).json()) as { ws: string; creds: string };
    expect(cfg.ws).toBe(`ws://127.0.0.1:${wsPort}`);
    expect(cfg.creds).toContain('BEGIN NATS USER JWT');
    const uid = async (service: string) => (await env!.getContainer(`${PROJECT}_${service}_1`).exec(['node', '-p', 'process.getuid()'])).output.trim();
    expect(await uid('orchestrator')).toBe('65534');
    expect(await uid('keeper')).toBe('65534');
  },
  TIMEOUT,
);

test(
  'vnfctl deploys the container example, and a frontend answers through the backends',
  async () => {
    const deploy = await vnfctl(['deploy', join(ROOT, 'examples/web-docker.yaml'), '--wait']);
    expect({ code: deploy.code, err: deploy.err }).toEqual({ code: 0, err: '' });
    expect(deploy.out).toMatch(/COMPLETED/);

    const status = await vnfctl(['--json', 'status', 'web-docker']);
    expect(status.code).toBe(0);
    const vnf = JSON.parse(status.out) as Records.VnfRecord;
    expect(vnf.nodes.backend).toHaveLength(2);
    expect(vnf.nodes.frontend).toHaveLength(1);
    for (const n of [...vnf.nodes.backend, ...vnf.nodes.frontend]) expect(n).toMatchObject({ zone: 'docker', address: expect.stringMatching(RANGE) });

    // one container per node, on the host network, as the unprivileged user
    const containers = await nodeContainers();
    expect(containers.map((c) => c.Labels?.['vnf-lcm.node']).sort()).toEqual(['web-docker-backend-1', 'web-docker-backend-2', 'web-docker-frontend-1']);
    for (const c of containers) expect(c.State).toBe('running');

    const [front] = vnf.nodes.frontend;
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`http://${front.address}:${front.port}/`, { signal: AbortSignal.timeout(5_000) });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { node: string; cluster: string };
      expect(body).toMatchObject({ cluster: 'backend', node: expect.stringMatching(/^web-docker-backend-[12]$/) });
      seen.add(body.node);
    }
    // round robin over both backends
    expect(seen.size).toBe(2);
  },
  TIMEOUT,
);

test(
  'scaling every cluster in to 0 removes every node container; then the stack goes down with nothing left',
  async () => {
    for (const cluster of ['frontend', 'backend']) {
      const r = await vnfctl(['scale-in', 'web-docker', cluster, '--nodes', '0', '--wait']);
      expect({ cluster, code: r.code, err: r.err }).toEqual({ cluster, code: 0, err: '' });
    }
    expect(await nodeContainers()).toEqual([]);

    await env!.down({ removeVolumes: true, timeout: 10_000 });
    env = undefined;
    // every container of the project, running or not (the exited setup, `run --rm` ones), and every node
    expect(await projectContainers()).toEqual([]);
    expect(await nodeContainers()).toEqual([]);
    const volumes = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `name=^${PROJECT}_`], { encoding: 'utf8' }).trim();
    expect(volumes).toBe('');
  },
  TIMEOUT,
);
