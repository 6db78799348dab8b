import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { argsOf, envOf, findProcesses } from './procs.js';
import { Installation } from '@vnf-lcm/auth';
import { CORE_PROBES, waitForServices } from '@vnf-lcm/bus/ready';
import { Access, Deploy, Events, isErrorReply, Query, Records, Trace, Vim } from '@vnf-lcm/contracts';
import { freePorts, startNatsCluster, startNatsServer, type NatsCluster, type NatsServer } from './nats-server.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const dist = (app: string) => join(ROOT, 'apps', app, 'dist/main.js');
export type Service = 'orchestrator' | 'vnfm' | 'vim-adapter';

export interface SystemOptions {
  /** operator mode: every service, agent and the test itself has its own identity (default true) */
  auth?: boolean;
  /** clients verify the server's certificate against a CA made for the test (default true) */
  tls?: boolean;
  /**
   * a third zone `box` of the docker driver (ADR 15) on 127.<octet + 100>.0.0/16, whose containers
   * carry this System's own `scope` (dockerScope), so that test files never see each other's
   * (default false: the two process zones only)
   */
  dockerZone?: boolean;
  /**
   * each service serves /metrics on its documented port at this System's own address
   * (`metricsAddress`); default false: VNF_METRICS_PORT=0, so that parallel test files never
   * fight over 127.0.0.1's ports
   */
  metrics?: boolean;
  /** a WebSocket listener for browsers (the web console) on 127.<octet>.0.1, any free port: nats.websocket (default false) */
  websocket?: boolean;
  /**
   * three nats-servers routed to each other on 127.0.0.1 (secured, so `auth` must stay on), every
   * stream and bucket with 3 replicas, every client given the three URLs: nats is then the first
   * server and cluster all three (default false: one server)
   */
  cluster?: boolean;
  /** how many instances of each service run at once: `orchestrator`, `orchestrator-2`, ... (default 1) */
  instances?: number;
  /**
   * a third zone `hollow` of the hollow driver (bench/scale.mjs's hollow agents: the protocol, no
   * applications) on 127.<octet>.192.0/18, the edge zone shrunk to 127.<octet>.128.0/18; needs
   * `auth: false` (default false)
   */
  hollowZone?: boolean;
  /**
   * a VIM adapter per zone (ADR 26), each serving only its own (VIM_SERVE_ZONES), as on a machine
   * per zone: `vim-adapter-local`, `vim-adapter-edge`, ... instead of one `vim-adapter` serving all
   * (default false)
   */
  vimPerZone?: boolean;
}

/** the services' documented metrics ports (README, Observe) */
export const METRICS_PORT: Record<Service, number> = { orchestrator: 9464, vnfm: 9465, 'vim-adapter': 9466 };

/** this process's Systems, so that each docker scope is its own */
let systems = 0;

/**
 * A whole vnf-lcm on one test's own nats-server, folder and loopback range (127.<octet>.0.0/16),
 * so that test files run in parallel without sharing anything. Secured as the launcher secures
 * it (identities, TLS, the keeper revoking removed nodes) unless told otherwise.
 */
export class System {
  nc!: NatsConnection;
  nats!: NatsServer;
  /** the three servers, when `cluster` */
  cluster?: NatsCluster;
  /** the identities and server configuration, when `auth` */
  security?: Installation;
  private keeper?: { close(): Promise<void> };
  readonly dir = mkdtempSync(join(tmpdir(), 'vnf-sys-'));
  readonly procs = new Map<string, ChildProcess>();
  /** the service each process runs, which names its NATS connection */
  private readonly services = new Map<string, Service>();
  readonly auth: boolean;
  readonly tls: boolean;
  /** the docker zone's scope (its containers' label `vnf-lcm.scope`), when `dockerZone` */
  readonly dockerScope?: string;
  readonly metrics: boolean;
  private readonly websocket: boolean;
  private readonly clustered: boolean;
  readonly instances: number;

  /** the loopback range 127.<octet>.0.0/16; VNF_TEST_OCTET moves a test with one System elsewhere */
  readonly octet: number;
  private readonly hollowZone: boolean;
  private readonly vimPerZone: boolean;

  /** `env` is added to every service's environment (e.g. shorter timers for one test) */
  constructor(
    octet: number,
    readonly env: Record<string, string> = {},
    o: SystemOptions = {},
  ) {
    // several worktrees run the same test files on one machine: each its own range
    this.octet = Number(process.env.VNF_TEST_OCTET ?? octet);
    this.auth = o.auth ?? true;
    this.tls = this.auth && (o.tls ?? true);
    this.metrics = o.metrics ?? false;
    this.websocket = o.websocket ?? false;
    this.clustered = o.cluster ?? false;
    if (this.clustered && !this.auth) throw new Error('a test cluster is secured: cluster needs auth');
    this.instances = o.instances ?? 1;
    this.hollowZone = o.hollowZone ?? false;
    this.vimPerZone = o.vimPerZone ?? false;
    if (o.dockerZone) this.dockerScope = `t${this.octet}-${process.pid}-${++systems}`;
    // agents and applications run as an unprivileged user when the tests run as root: it must
    // get through this folder to the hosts' own (mkdtemp makes it owner-only)
    chmodSync(this.dir, 0o711);
  }

  get zones() {
    return {
      defaultZone: 'local',
      zones: [
        { name: 'local', driver: 'process', range: `127.${this.octet}.0.0/17`, root: join(this.dir, 'hosts/local') },
        { name: 'edge', driver: 'process', range: `127.${this.octet}.128.0/${this.hollowZone ? 18 : 17}`, root: join(this.dir, 'hosts/edge') },
        ...(this.hollowZone ? [{ name: 'hollow', driver: 'hollow', range: `127.${this.octet}.192.0/18` }] : []),
        ...(this.dockerScope ? [{ name: 'box', driver: 'docker', range: `127.${this.octet + 100}.0.0/16`, scope: this.dockerScope }] : []),
      ],
    };
  }

  /** what clients are given: the server's URL, or every server's of the cluster */
  get natsUrl(): string {
    return this.cluster?.url ?? this.nats.url;
  }

  /** the servers: one, or the cluster's three */
  get natsServers(): NatsServer[] {
    return this.cluster?.servers ?? [this.nats];
  }

  /** the keys of a service's instances: `vnfm`, `vnfm-2`, ... */
  keysOf(s: Service): string[] {
    if (s === 'vim-adapter' && this.vimPerZone) return this.zones.zones.map((z) => `${s}-${z.name}`);
    return Array.from({ length: this.instances }, (_, i) => (i === 0 ? s : `${s}-${i + 1}`));
  }

  async start(): Promise<this> {
    if (this.clustered) await this.startCluster();
    else if (this.auth) {
      const storeDir = join(this.dir, 'nats', 'js');
      this.security = await Installation.prepare(join(this.dir, 'security'), {
        tls: this.tls,
        storeDir,
        port: -1,
        monitorPort: -1,
        ...(this.websocket ? { websocket: { host: `127.0.${this.octet}.1`, port: -1 } } : {}),
      });
      this.nats = await startNatsServer(join(this.dir, 'nats'), { config: this.security.configFile });
      this.keeper = await this.security.startKeeper(this.nats.url);
    } else this.nats = await startNatsServer(join(this.dir, 'nats'));
    for (const s of ['orchestrator', 'vnfm', 'vim-adapter'] as Service[])
      for (const key of this.keysOf(s)) this.startService(s, key, s === 'vim-adapter' && this.vimPerZone ? { VIM_SERVE_ZONES: key.slice(`${s}-`.length) } : {});
    // the test itself may do anything (tear down hosts, look at internal subjects): admin
    this.nc = await this.connectAs(Access.Role.admin, 'test');
    await this.waitReady();
    return this;
  }

  /** Three servers on 127.0.0.1, each its own configuration, store and ports; every record kept by all three. */
  private async startCluster(): Promise<void> {
    const names = ['n1', 'n2', 'n3'];
    const routePorts = await freePorts(names.length);
    const dirs = names.map((n) => join(this.dir, `nats-${n}`));
    this.security = await Installation.prepare(join(this.dir, 'security'), {
      tls: this.tls,
      storeDir: join(dirs[0], 'js'),
      port: -1,
      monitorPort: -1,
      ...(this.websocket ? { websocket: { host: `127.0.${this.octet}.1`, port: -1 } } : {}),
      cluster: {
        name: `t${this.octet}`,
        servers: names.map((name, i) => ({ name, port: -1, monitorPort: -1, routePort: routePorts[i], storeDir: join(dirs[i], 'js') })),
      },
    });
    this.cluster = await startNatsCluster(dirs, this.security.configFiles);
    this.nats = this.cluster.servers[0];
    this.env.VNF_JS_REPLICAS ??= '3';
    this.keeper = await this.security.startKeeper(this.cluster.url);
  }

  /** A connection with a role's identity (or none, on an open server), reconnecting as services do. */
  connectAs(role: Access.Role, name = `test-${role}`, extra: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
    if (!this.security) return connect({ servers: this.nats.url, name, ...extra });
    return this.security.connect(this.natsUrl, name, role, extra);
  }

  /** NATS_CREDS and NATS_TLS_CA for a role (vnfctl's environment), empty on an open server */
  envOf(role: Access.Role): Record<string, string> {
    return this.security?.env(role) ?? {};
  }

  /** the last address of the local zone's range: no host of a test gets it */
  get metricsAddress(): string {
    return `127.${this.octet}.127.254`;
  }

  /** where a service serves its metrics, when `metrics` */
  metricsUrl(s: Service): string {
    return `http://${this.metricsAddress}:${METRICS_PORT[s]}/metrics`;
  }

  /** `key` names a second instance of the same service (e.g. two orchestrators); `extra` is added to its environment */
  startService(s: Service, key: string = s, extra: Record<string, string> = {}): ChildProcess {
    const out = openSync(join(this.dir, `${key}.log`), 'a');
    const p = spawn(process.execPath, [dist(s)], {
      env: {
        ...process.env,
        NATS_URL: this.natsUrl,
        VIM_ZONES: JSON.stringify(this.zones),
        VNF_HEARTBEAT_MS: '200',
        LOG_LEVEL: 'info',
        VNF_APP_ROOTS: `${join(ROOT, 'examples')}:${this.dir}`,
        ...this.envOf(s),
        // a second instance of a service would want its first's port: no metrics
        ...(this.metrics && key === s ? { VNF_METRICS_ADDRESS: this.metricsAddress, VNF_METRICS_PORT: String(METRICS_PORT[s]) } : { VNF_METRICS_PORT: '0' }),
        ...this.env,
        ...extra,
      },
      stdio: ['ignore', out, out],
    });
    this.procs.set(key, p);
    this.services.set(key, s);
    return p;
  }

  async kill(s: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.get(s);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const name = this.services.get(s);
    const before = name ? await this.connections(name) : 0;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
    // NATS drops a dead client's subscriptions once it sees its socket close; until then a request
    // to the queue group it was in may still be handed to it, and go unanswered
    for (const until = Date.now() + 5_000; before > 0 && Date.now() < until && (await this.connections(name!)) >= before; )
      await new Promise((r) => setTimeout(r, 20));
  }

  /** how many connections of that name the servers have (their monitoring endpoints; a dead server has none) */
  private async connections(name: string): Promise<number> {
    let n = 0;
    for (const server of this.natsServers) n += (await connectionsOn(server)).filter((c) => c.name === name).length;
    return n;
  }

  /** Until the orchestrator, the VNFM and the VIM adapter each answer (one instance of each is enough). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    // every zone served: with an adapter per zone, each zone's own (zone-list is any adapter's)
    const zones = this.zones.zones.map(({ name }) => ({ service: `vim-adapter of ${name}`, subject: Vim.subject(Vim.Verb.hostList, name), body: {} }));
    await waitForServices(this.nc, [...CORE_PROBES, ...zones], { timeoutMs });
  }

  /** A raw request: the JSON reply, error replies included. */
  async raw<T = any>(subject: string, body: unknown, timeoutMs = 10_000): Promise<T> {
    const m = await this.nc.request(subject, typeof body === 'string' ? body : JSON.stringify(body), { timeout: timeoutMs });
    return m.json<T>();
  }

  async req<T = any>(subject: string, body: unknown, timeoutMs = 10_000): Promise<T> {
    const r = await this.raw(subject, body, timeoutMs);
    if (isErrorReply(r)) throw new Error(`${subject}: ${r.error.err_code}: ${r.error.description}`);
    return r as T;
  }

  /** Waits for the operation to end (final or FAILED_TEMP) and returns its record. */
  async waitOp(op: string, timeoutMs = 120_000): Promise<Records.OpRecord> {
    const deadline = Date.now() + timeoutMs;
    let last = 'unknown';
    for (;;) {
      // the orchestrator may be down for a while in this test: ask again until the deadline
      const r = await this.req<Query.OpGetReply>(Query.Subject.opGet, { op }, 2000).then(
        (x) => x.op,
        () => undefined,
      );
      if (r && [...Records.FINAL_STATES, Records.OpState.failedTemp].includes(r.state)) return r;
      last = r?.state ?? last;
      if (Date.now() > deadline) throw new Error(`operation ${op} still ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async deploy(descriptor: unknown): Promise<Records.OpRecord> {
    const r = await this.req<Deploy.Reply>(Deploy.Subject, { descriptor });
    return this.waitOp(r.op);
  }

  async trace(op: string): Promise<string> {
    return (await this.req<Query.OpTraceReply>(Query.Subject.opTrace, { op })).wsd;
  }

  /** an operation's trace entries as the stream holds them: in the order they were recorded */
  async traceEntries(op: string): Promise<Trace.Entry[]> {
    const c = await jetstream(this.nc).consumers.get(Trace.STREAM, { filter_subjects: Trace.subject(op) });
    const raw: Trace.Entry[] = [];
    for await (const m of await c.fetch({ max_messages: 1000, expires: 1_000 })) raw.push(m.json<Trace.Entry>());
    await c.delete();
    return raw;
  }

  async vnf(name: string): Promise<Records.VnfRecord> {
    return (await this.req<Query.VnfGetReply>(Query.Subject.vnfGet, { vnf: name })).vnf;
  }

  /** every VNF's summary, vnf-list page by page */
  async vnfs(pageSize?: number): Promise<Query.VnfSummary[]> {
    return Query.listAll(
      (s, b) => this.req<Query.VnfListReply>(s, b),
      Query.Subject.vnfList,
      pageSize ? { limit: pageSize } : {},
      (r) => r.vnfs,
    );
  }

  /** every VNF record whole: the list's summaries, then vnf-get each */
  async vnfRecords(): Promise<Records.VnfRecord[]> {
    return Promise.all((await this.vnfs()).map((v) => this.vnf(v.name)));
  }

  /** every node of every VNF record, sorted: what the hosts, agents and applications must be */
  async recordNodes(): Promise<string[]> {
    return (await this.vnfRecords()).flatMap((v) => Object.values(v.nodes).flatMap((ns) => ns.map((n) => n.node))).sort();
  }

  /**
   * The healing of `node` the orchestrator has for `vnf`, as soon as it has one (asked every
   * `everyMs`): the VNFM asks for it on its own when a node dies. `requestedBy` narrows it to who
   * asked.
   */
  async healingOf(vnf: string, node: string, o: { timeoutMs?: number; everyMs?: number; requestedBy?: string } = {}): Promise<Query.OpSummary> {
    const { timeoutMs = 15_000, everyMs = 50, requestedBy } = o;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { ops } = await this.req<Query.OpListReply>(Query.Subject.opList, { vnf });
      const op = ops.find((x) => x.algorithm === 'healing' && x.params.node === node && (!requestedBy || x.requestedBy === requestedBy));
      if (op) return op;
      if (Date.now() > deadline) throw new Error(`no healing of ${node} requested in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** every operation's summary, oldest first, op-list page by page */
  async ops(vnf?: string, pageSize?: number): Promise<Query.OpSummary[]> {
    return Query.listAll(
      (s, b) => this.req<Query.OpListReply>(s, b),
      Query.Subject.opList,
      { ...(vnf ? { vnf } : {}), ...(pageSize ? { limit: pageSize } : {}) },
      (r) => r.ops,
    );
  }

  /** every zone's hosts (of one VNF), each zone asked of its own adapters */
  async hosts(vnf?: string): Promise<Vim.HostInfo[]> {
    return Vim.listAllHosts((s, b) => this.req(s, b), vnf ? { vnf } : {});
  }

  /** one zone's hosts */
  async zoneHosts(zone: string): Promise<Vim.HostInfo[]> {
    return (await this.req<Vim.HostListReply>(Vim.subject(Vim.Verb.hostList, zone), {})).hosts;
  }

  /** Events of one VNF as they come. */
  events(vnf: string): Events.Event[] {
    const got: Events.Event[] = [];
    this.nc.subscribe(`${Events.SubjectPrefix}.${vnf}.*`, { callback: (_e, m) => void got.push(m.json()) });
    return got;
  }

  async stop(): Promise<void> {
    // zone by zone: one zone's adapter may be down in this test, not the others'
    await Promise.all(
      this.zones.zones.map(async ({ name }) => {
        const hosts = await this.zoneHosts(name).catch(() => []);
        await Promise.all(hosts.map((h) => this.raw(Vim.subject(Vim.Verb.hostRemove, name), { node: h.node }, 20_000).catch(() => undefined)));
      }),
    );
    for (const s of this.procs.keys()) await this.kill(s, 'SIGTERM');
    killProcessesUnder(this.dir);
    await this.nc?.close().catch(() => undefined);
    await this.keeper?.close();
    if (this.cluster) await this.cluster.stop();
    else await this.nats?.stop();
    // VNF_TEST_KEEP=1 keeps the services' logs for a look after a failure
    if (process.env.VNF_TEST_KEEP) console.log(`kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A server's clients (its /connz), with the pid each gave; none when it is down. */
export async function connectionsOn(server: NatsServer): Promise<{ name?: string; pid?: number; cid: number }[]> {
  try {
    const r = await fetch(`${server.monitor}/connz?limit=4096`, { signal: AbortSignal.timeout(2000) });
    return ((await r.json()) as { connections?: { name?: string; pid?: number; cid: number }[] }).connections ?? [];
  } catch {
    return [];
  }
}

/** Every process (agent or application) whose environment or arguments point into this test's folder. */
export function processesUnder(dir: string): number[] {
  return findProcesses((p) => p.env.some((e) => e.includes(dir)) || p.cmd.some((a) => a.includes(dir)));
}

/** Agents (by their `--node=` argument) and applications (by their VNF_CONFIG) of this test. */
export function hostProcesses(dir: string): { agents: string[]; apps: string[] } {
  const agents: string[] = [];
  const apps: string[] = [];
  findProcesses((p) => {
    if (!p.env.some((e) => e.includes(dir)) && !p.cmd.some((a) => a.includes(dir))) return false;
    const node = argsOf(p)
      .find((a) => a.startsWith('--node='))
      ?.slice(7);
    if (node) agents.push(node);
    else if (envOf(p, 'VNF_CONFIG')) apps.push(envOf(p, 'VNF_NODE')!);
    return false;
  });
  return { agents: agents.sort(), apps: apps.sort() };
}

/** kill -9 of every process processesUnder(dir) finds: what a test leaves running, after it. */
export function killProcessesUnder(dir: string): void {
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export async function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await r.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not json */
  }
  return { status: r.status, body, headers: r.headers };
}
