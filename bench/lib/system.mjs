// A whole vnf-lcm for one benchmark run: its own nats-server on a random port, the three
// services (built: `npm run build` first), a folder and a loopback range of its own. Open (anonymous
// clients, plain text) unless told `secure`: then secured as the launcher secures it (operator
// mode, TLS, each service its own identity, the keeper revoking removed nodes).
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { CORE_PROBES, waitForServices } from '@vnf-lcm/bus/ready';
import { Events, Query, Records, Trace, Vim } from '@vnf-lcm/contracts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The example frontend (examples/apps/frontend.mjs) as a cluster in front of `backend`, on a process zone. */
export function exampleFrontend(health) {
  const app = { version: 'v1', command: 'node', args: ['frontend.mjs'], cwd: join(ROOT, 'examples/apps'), port: 8000, reload: { signal: 'SIGHUP' } };
  return { name: 'frontend', nodes: 1, zone: 'local', dependsOn: ['backend'], app, health };
}

export class BenchSystem {
  /**
   * @param octet the second byte of this run's loopback range, 127.<octet>.0.0/16
   * @param env added to every service's environment
   * @param o.secure operator mode and TLS: every service gets its own identity (NATS_CREDS) and
   *   the CA (NATS_TLS_CA), the keeper runs in this process, the bench's own client is admin;
   *   without it (the default) the server is open: anonymous clients, plain text
   * @param o.hollow a third zone `hollow` of the hollow driver (hollow agents in one process, no
   *   applications: bench/scale.mjs) on 127.<octet>.192.0/18, the edge zone shrunk to
   *   127.<octet>.128.0/18; open servers only
   * @param o.maxPayload the server's max_payload in bytes (default: nats-server's, 1 MB)
   */
  constructor(octet, env = {}, { secure = false, hollow = false, maxPayload } = {}) {
    if (secure && hollow) throw new Error('hollow hosts need an open server');
    this.octet = octet;
    this.hollow = hollow;
    this.maxPayload = maxPayload;
    this.env = env;
    this.secure = secure;
    this.dir = mkdtempSync(join(tmpdir(), 'vnf-bench-'));
    // when the VIM runs as root its agents and applications run as an unprivileged user, who must
    // get through this folder to the hosts' own and the CA (mkdtemp makes it owner-only)
    chmodSync(this.dir, 0o711);
    this.children = new Map();
    for (const app of ['orchestrator', 'vnfm', 'vim-adapter', 'vnf-agent'])
      if (!existsSync(join(ROOT, 'apps', app, 'dist/main.js'))) throw new Error(`apps/${app} is not built: run npm run build first`);
    for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => void this.stop().finally(() => process.exit(130)));
  }

  async start() {
    const bin = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
    let server = ['-js', '-sd', join(this.dir, 'js')];
    if (this.maxPayload) {
      if (this.secure) throw new Error('maxPayload is for open servers');
      writeFileSync(join(this.dir, 'server.conf'), `max_payload: ${this.maxPayload}\n`);
      server = [...server, '-c', join(this.dir, 'server.conf')];
    }
    if (this.secure) {
      // loaded only here: the open mode runs without libs/auth
      const { Installation } = await import('@vnf-lcm/auth');
      // the same store as the open server's; no monitoring port (the open server has none either):
      // the two modes differ in authentication and TLS only
      this.security = await Installation.prepare(join(this.dir, 'security'), { tls: true, storeDir: join(this.dir, 'js'), port: -1 });
      // the configuration names the store (nats-server refuses a second one on the command line)
      server = ['-c', this.security.configFile];
    }
    const p = spawn(bin, [...server, '-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', this.dir], { stdio: 'ignore' });
    this.children.set('nats', p);
    const file = join(this.dir, `nats-server_${p.pid}.ports`);
    for (let i = 0; !this.url; i++) {
      if (i > 400 || p.exitCode !== null) throw new Error('nats-server did not start');
      try {
        this.url = JSON.parse(readFileSync(file, 'utf8')).nats[0];
      } catch {
        await sleep(25);
      }
    }
    // the keeper before the VIM: removing a host asks it to revoke the node's identity
    if (this.security) this.keeper = await this.security.startKeeper(this.url);
    for (const s of ['orchestrator', 'vnfm', 'vim-adapter']) this.startService(s);
    // the bench tears hosts down and reads the trace stream: admin, on a secured server
    this.nc = this.security ? await this.security.connect(this.url, 'bench', 'admin') : await connect({ servers: this.url, name: 'bench' });
    await this.waitReady();
    return this;
  }

  startService(name) {
    const zones = {
      defaultZone: 'local',
      zones: [
        { name: 'local', driver: 'process', range: `127.${this.octet}.0.0/17`, root: join(this.dir, 'hosts/local') },
        { name: 'edge', driver: 'process', range: `127.${this.octet}.128.0/${this.hollow ? 18 : 17}`, root: join(this.dir, 'hosts/edge') },
        ...(this.hollow ? [{ name: 'hollow', driver: 'hollow', range: `127.${this.octet}.192.0/18` }] : []),
      ],
    };
    const out = openSync(join(this.dir, `${name}.log`), 'a');
    const p = spawn(process.execPath, [join(ROOT, 'apps', name, 'dist/main.js')], {
      env: {
        ...process.env,
        NATS_URL: this.url,
        VIM_ZONES: JSON.stringify(zones),
        LOG_LEVEL: 'warn',
        // an application's absolute cwd must lie under one of these: the examples and bench/apps
        VNF_APP_ROOTS: `${join(ROOT, 'examples')}:${join(ROOT, 'bench')}`,
        ...this.envOf(name),
        ...this.env,
      },
      stdio: ['ignore', out, out],
    });
    this.children.set(name, p);
  }

  /** NATS_CREDS and NATS_TLS_CA (and VIM_AGENT_SIGNER for the VIM) of a role; nothing when open */
  envOf(role) {
    return this.security?.env(role) ?? {};
  }

  /** every zone's hosts, each zone asked of its own adapters */
  hosts() {
    return Vim.listAllHosts((subject, body) => this.request(subject, body));
  }

  async request(subject, body, timeout = 10_000) {
    const r = (await this.nc.request(subject, JSON.stringify(body), { timeout })).json();
    if (r?.error) throw new Error(`${subject}: ${r.error.err_code}: ${r.error.description}`);
    return r;
  }

  /** An operation's raw trace entries in stream (causal) order: arrows and placements (ADR 25). */
  async traceEntries(op) {
    const consumer = await jetstream(this.nc).consumers.get(Trace.STREAM, { filter_subjects: Trace.subject(op) });
    const messages = await consumer.consume();
    const entries = [];
    for await (const m of messages) {
      entries.push(m.json());
      if (m.info.pending === 0) break;
    }
    await messages.close().catch(() => undefined);
    return entries;
  }

  /** Until the orchestrator, the VNFM and the VIM adapter each answer (libs/bus ready.ts). */
  async waitReady() {
    await waitForServices(this.nc, CORE_PROBES, { timeoutMs: 60_000 });
  }

  /**
   * Waits for the operation's final state from its events, reading the record only then (and
   * once a second, in case the event came before the subscription): polling the record every few
   * milliseconds would load the orchestrator during the very steps being measured.
   */
  async waitOp(op, timeoutMs = 300_000) {
    const ends = [...Records.FINAL_STATES, Records.OpState.failedTemp];
    let wake = () => {};
    const sub = this.nc.subscribe(`${Events.SubjectPrefix}.*.${op}`, {
      callback: (_err, m) => ends.includes(m?.json().state) && wake(),
    });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const { op: r } = await this.request(Query.Subject.opGet, { op });
        if (ends.includes(r.state)) return r;
        if (Date.now() > deadline) throw new Error(`operation ${op} still ${r.state}`);
        await new Promise((resolve) => {
          const t = setTimeout(resolve, 1000);
          wake = () => resolve(clearTimeout(t));
        });
      }
    } finally {
      sub.unsubscribe();
    }
  }

  vnf(name) {
    return this.request(Query.Subject.vnfGet, { vnf: name }).then((r) => r.vnf);
  }

  /** stops everything this run started: services, hosts, agents, applications, nats;
   * with keepLogs (after a failure) the services' logs stay in `dir` */
  async stop({ keepLogs = false } = {}) {
    this.stopping ??= (async () => {
      await this.kill('vnfm', 'SIGTERM'); // first, so that it does not heal the hosts being removed
      try {
        const hosts = await this.hosts();
        await Promise.all(hosts.map((h) => this.request(Vim.subject(Vim.Verb.hostRemove, h.zone), { node: h.node }, 20_000).catch(() => undefined)));
      } catch {
        /* the VIM is down: the sweep below does it */
      }
      await this.nc?.close().catch(() => undefined);
      for (const name of ['orchestrator', 'vim-adapter']) await this.kill(name, 'SIGTERM');
      // before the server: its connections would try to reconnect for ever
      await this.keeper?.close().catch(() => undefined);
      await this.kill('nats', 'SIGTERM');
      for (const pid of processesUnder(this.dir))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      if (!keepLogs) rmSync(this.dir, { recursive: true, force: true });
      else for (const f of readdirSync(this.dir)) if (!f.endsWith('.log')) rmSync(join(this.dir, f), { recursive: true, force: true });
    })();
    return this.stopping;
  }

  async kill(name, signal = 'SIGKILL') {
    const p = this.children.get(name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}

/** agents and applications are detached from the VIM: they are found by their folder */
export function processesUnder(folder) {
  const pids = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, 'utf8').includes(folder) || readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(folder)) pids.push(Number(p));
    } catch {
      /* gone, or not ours */
    }
  }
  return pids;
}

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, min: s[0], p50: at(0.5), max: s[s.length - 1] };
}

export const ms = (x) => (x === undefined ? '-' : `${Math.round(x)} ms`);
