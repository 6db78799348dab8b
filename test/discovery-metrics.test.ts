import { AgentMinter } from '@vnf-lcm/auth';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { Access, Agent, Deploy, Query, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { sample } from './support/prometheus.js';
import { httpGet, System, type Service } from './support/system.js';

/**
 * Issue 13 points 3 and 4: the orchestrator, the VNFM and the VIM adapter answer NATS service
 * discovery (`$SRV.PING|INFO|STATS`, NATS ADR-32, what `nats micro ls` asks) and serve Prometheus
 * metrics on their own ports. A secured System; the test asks as DevOps (and as a node, which may
 * not), and scrapes every /metrics with real HTTP.
 */
const sys = new System(65, {}, { metrics: true });
const SERVICES: Service[] = ['orchestrator', 'vnfm', 'vim-adapter'];
const opened: NatsConnection[] = [];
let devops: NatsConnection;

interface Micro {
  type: string;
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
  endpoints?: {
    name: string;
    subject: string;
    queue_group?: string;
    num_requests?: number;
    num_errors?: number;
    last_error?: string;
    processing_time?: number;
    average_processing_time?: number;
  }[];
  started?: string;
}

beforeAll(async () => {
  await sys.start();
  devops = await sys.connectAs(Access.Role.devops, 'test-devops');
  opened.push(devops);
}, 60_000);
afterAll(async () => {
  for (const c of opened) await c.close().catch(() => undefined);
  await sys.stop();
}, 60_000);

/** Every answer to a discovery request within a second: every instance of every service answers. */
async function discover(subject: string, nc = devops): Promise<Micro[]> {
  const got: Micro[] = [];
  for await (const m of await nc.requestMany(subject, '', { strategy: 'timer', maxWait: 1000 })) got.push(m.json<Micro>());
  return got;
}

async function scrape(s: Service): Promise<string> {
  const r = await httpGet(sys.metricsUrl(s));
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.body as string;
}

describe('service discovery ($SRV, NATS ADR-32)', () => {
  test('$SRV.PING: the three services answer, once each, the agents never', async () => {
    const pongs = await discover('$SRV.PING');
    expect(pongs.map((p) => p.name).sort()).toEqual(['orchestrator', 'vim-adapter', 'vnfm']);
    for (const p of pongs) {
      expect(p).toMatchObject({ type: 'io.nats.micro.v1.ping_response', version: '0.1.0' });
      expect(p.id).toMatch(/^[A-Za-z0-9]+$/);
      expect(p.metadata).toMatchObject({ connection: p.name, pid: expect.stringMatching(/^\d+$/) });
    }
    expect(new Set(pongs.map((p) => p.id)).size).toBe(3);
  });

  test('$SRV.INFO.<name> lists the request subjects with their queue groups; .<name>.<id> asks one instance', async () => {
    const [ao] = await discover('$SRV.INFO.orchestrator');
    expect(ao).toMatchObject({ type: 'io.nats.micro.v1.info_response', name: 'orchestrator', description: expect.any(String) });
    const subjects = ao.endpoints!.map((e) => e.subject);
    expect(subjects).toEqual(expect.arrayContaining([Deploy.Subject, Query.Subject.vnfList, Query.Subject.opTrace]));
    expect(ao.endpoints!.find((e) => e.subject === Deploy.Subject)).toEqual({
      name: 'vnf_ao_deploy',
      subject: 'vnf.ao.deploy',
      queue_group: 'orchestrator',
      metadata: null,
    });
    for (const e of ao.endpoints!) expect(e.name).toMatch(/^[A-Za-z0-9_-]+$/);

    const [vim] = await discover('$SRV.INFO.vim-adapter');
    expect(vim.endpoints!.map((e) => e.subject)).toEqual(
      expect.arrayContaining(['vnf.vim.host-activate.local', 'vnf.vim.host-list.edge', 'vnf.vim.zone-list']),
    );
    const one = await discover(`$SRV.INFO.vnfm.${(await discover('$SRV.PING.vnfm'))[0].id}`);
    expect(one).toHaveLength(1);
    expect(one[0].endpoints!.map((e) => e.subject)).toContain('vnf.vnfm.cluster-scale-out');
    await expect(discover('$SRV.INFO.vnfm.nosuchid')).rejects.toThrow(/no responders/);
  });

  test('an observer may discover too; a node identity may not', async () => {
    const observer = await sys.connectAs(Access.Role.observer, 'test-observer');
    opened.push(observer);
    expect((await discover('$SRV.PING', observer)).length).toBe(3);

    const signer = AgentMinter.fromFile(sys.security!.env(Access.Role.vimAdapter).VIM_AGENT_SIGNER);
    const tls = sys.security!.tls ? { tls: { caFile: sys.security!.tls.ca } } : {};
    const node = await connect({
      servers: sys.nats.url,
      authenticator: credsAuthenticator((await signer.mint('web-backend-99')).creds),
      reconnect: false,
      ...tls,
    });
    opened.push(node);
    for (const subject of ['$SRV.PING', '$SRV.INFO.orchestrator', '$SRV.STATS'])
      await expect(node.request(subject, '', { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
  });

  test("a service answers discovery for itself only: the VNFM may not listen on the orchestrator's subjects", async () => {
    const vnfm = await sys.connectAs(Access.Role.vnfm, 'test-vnfm');
    opened.push(vnfm);
    const errors: string[] = [];
    const watch = (async () => {
      for await (const s of vnfm.status()) if (s.type === 'error') errors.push(String((s as { error?: Error }).error?.message ?? ''));
    })();
    vnfm.subscribe('$SRV.INFO.orchestrator');
    vnfm.subscribe('$SRV.INFO.vnfm');
    await vnfm.flush();
    await new Promise((r) => setTimeout(r, 200));
    void watch;
    expect(errors).toContainEqual(expect.stringMatching(/Permissions Violation for Subscription to "\$SRV\.INFO\.orchestrator"/));
    expect(errors.join()).not.toMatch(/SRV\.INFO\.vnfm/);
  });
});

describe('after a deployment', () => {
  let before: Record<Service, string>;
  let op: Records.OpRecord;

  beforeAll(async () => {
    before = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await scrape(s)]))) as Record<Service, string>;
    op = await sys.deploy(example('web'));
    expect(op.state).toBe('COMPLETED');
    // a refused request: counted as an error of its endpoint
    expect((await sys.raw(Deploy.Subject, { descriptor: { name: 'Not A Token' } })).error).toMatchObject({ err_code: 'invalid_descriptor' });
  }, 120_000);

  test('$SRV.STATS counts the requests, errors and time of each endpoint', async () => {
    const stats = await discover('$SRV.STATS');
    expect(stats.map((s) => s.name).sort()).toEqual(['orchestrator', 'vim-adapter', 'vnfm']);
    const by = (name: string) => stats.find((s) => s.name === name)!;
    const ao = by('orchestrator');
    expect(ao.type).toBe('io.nats.micro.v1.stats_response');
    expect(Date.parse(ao.started!)).toBeLessThan(Date.now());
    const deploy = ao.endpoints!.find((e) => e.subject === Deploy.Subject)!;
    expect(deploy.num_requests).toBeGreaterThanOrEqual(2);
    expect(deploy.num_errors).toBeGreaterThanOrEqual(1);
    expect(deploy.last_error).toMatch(/^invalid_descriptor: /);
    expect(deploy.processing_time).toBeGreaterThan(0);
    expect(deploy.average_processing_time).toBe(Math.trunc(deploy.processing_time! / deploy.num_requests!));
    // the steps of the deployment reached the VIM and the VNFM, once per node
    expect(by('vim-adapter').endpoints!.find((e) => e.subject === 'vnf.vim.host-activate.local')!.num_requests).toBeGreaterThanOrEqual(5);
    expect(by('vnfm').endpoints!.find((e) => e.subject === 'vnf.vnfm.app-activate')!.num_requests).toBeGreaterThanOrEqual(5);
  });

  test("the orchestrator's /metrics: deployment COMPLETED counted once, its steps timed", async () => {
    const labels = { algorithm: 'deployment', state: 'COMPLETED', service: 'orchestrator' };
    expect(sample(before.orchestrator, 'vnf_ao_operations_total', labels) ?? 0).toBe(0);
    const text = await scrape('orchestrator');
    expect(sample(text, 'vnf_ao_operations_total', labels)).toBe(1);
    expect(sample(text, 'vnf_ao_operation_duration_seconds_count', labels)).toBe(1);
    expect(sample(text, 'vnf_ao_step_duration_seconds_count', { algorithm: 'deployment', step: 'activate virtual host' })).toBe(5);
    expect(sample(text, 'vnf_bus_request_duration_seconds_count', { subject: Deploy.Subject, outcome: 'error' })).toBeGreaterThanOrEqual(1);
    // Node's default process metrics
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  test('the VNFM and the VIM count the deployed nodes by state', async () => {
    const v = await sys.vnf('web');
    const vnfm = await scrape('vnfm');
    for (const cluster of ['backend', 'frontend'])
      expect(sample(vnfm, 'vnf_vnfm_nodes', { vnf: 'web', cluster, state: 'running' })).toBe(v.nodes[cluster].length);
    expect(sample(vnfm, 'vnf_vnfm_nodes', { state: 'creating' }) ?? 0).toBe(0);
    const vim = await scrape('vim-adapter');
    expect(sample(vim, 'vnf_vim_nodes', { zone: 'local', state: 'running' })).toBe(5);
    expect(sample(vim, 'vnf_vim_nodes', { state: 'creating' }) ?? 0).toBe(0);
  });

  test('a node killed: the VNFM times its detection and its recovery, the orchestrator counts the healing', async () => {
    const victim = (await sys.vnf('web')).nodes.backend[0].node;
    const host = (await sys.hosts()).find((h) => h.node === victim)!;
    const status = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, victim), {});
    process.kill(status.app.pid!, 'SIGKILL');
    process.kill(host.pid!, 'SIGKILL');
    const healed = await healedByVnfm(victim);
    expect(healed.state).toBe('COMPLETED');

    const vnfm = await scrape('vnfm');
    expect(sample(vnfm, 'vnf_vnfm_heal_detection_seconds_count')).toBe(1);
    expect(sample(vnfm, 'vnf_vnfm_heal_recovery_seconds_count')).toBe(1);
    // recovery includes detection
    expect(sample(vnfm, 'vnf_vnfm_heal_recovery_seconds_sum')).toBeGreaterThan(sample(vnfm, 'vnf_vnfm_heal_detection_seconds_sum')!);
    expect(sample(vnfm, 'vnf_vnfm_nodes', { vnf: 'web', cluster: 'backend', state: 'running' })).toBe(3);
    const ao = await scrape('orchestrator');
    expect(sample(ao, 'vnf_ao_operations_total', { algorithm: 'healing', state: 'COMPLETED' })).toBe(1);
  });
});

/** The healing the VNFM asked for on its own, once it ended. */
const healedByVnfm = async (node: string) => sys.waitOp((await sys.healingOf('web', node, { timeoutMs: 30_000, everyMs: 100, requestedBy: 'VNFM' })).id);
