import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { natsUrl, rpcError } from '@vnf-lcm/bus';
import { HAS_PROC, procEnviron } from '@vnf-lcm/bus/procfs';
import { Agent, TOKEN_RE } from '@vnf-lcm/contracts';
import { HelloWaiter } from '../hello.js';
import { KeyedLock } from '@vnf-lcm/bus';
import type { Driver, DriverDeps, HostDownListener, HostInfo, HostSpec, LogsOptions, LogsReply, StopOptions } from '../driver.js';
import { fileLogs } from '../log-text.js';
import { allocate, newHost } from '../address.js';
import { withRootLock } from './root-lock.js';
import type { ProcessZone } from './options.js';
import { agentsOf, pidAlive, processStart, terminate, waitExit } from './pids.js';
import { AgentLoader, agentCommand, LoaderError } from './loader.js';
import { SparePool } from './spare.js';

const HOST_FILE = 'host.json';
const AGENT_LOG = 'agent.log';
/** the application's output, written by the agent (vnf-agent HostPaths.appLog) */
const APP_LOG = join('app', 'app.log');
/** written by the agent in its work dir; its `pid` is the application's (a group leader) */
const AGENT_STATE = 'agent-state.json';
/** the node's user JWT (public: no key in it), what the keeper needs to revoke it */
const IDENTITY_FILE = 'identity.jwt';
/** variables meant for the VIM adapter only, not for the agents it spawns: its own identity above all */
const PRIVATE_ENV = ['VIM_ZONES', 'VIM_CONFIG', 'VNF_AGENT_MAIN', 'NATS_CREDS', 'VIM_AGENT_SIGNER', 'VIM_SPARE_AGENT'];
/** how often the agents of running hosts are looked at (one read of /proc/<pid>/stat each) */
const WATCH_MS = 50;

/**
 * A virtual host is a folder `${root}/${node}` holding host.json, its own loopback address,
 * and a detached vnf-agent process whose output goes to agent.log. Hosts outlive the adapter:
 * the folders are the registry, and liveness is read from the pid each time.
 */
export class ProcessDriver implements Driver {
  readonly kind = 'process';
  readonly zone: string;
  private readonly alloc = new KeyedLock();
  /** the agents of running hosts, by node: their pid and start time (a reused pid is another process) */
  private readonly watched = new Map<string, { pid: number; start: string }>();
  /**
   * Agents this adapter spawned, by pid, until their exit event, which says how they ended (the
   * reason a host-down gives): until then the poll leaves them to it (a zombie is reaped at once).
   */
  private readonly children = new Map<number, string | undefined>();
  private onDown?: HostDownListener;
  /** the zone's spare agent (ADR 27): filled after the first start, taken by the next */
  private readonly spares: SparePool;
  /** with a root adapter: what agents are started through, so that they are not dumpable (ADR 32) */
  private readonly loader?: AgentLoader;

  constructor(
    private readonly o: ProcessZone,
    private readonly deps: DriverDeps,
  ) {
    this.zone = o.zone;
    this.loader = AgentLoader.for(o.root, o.runAs);
    if (o.runAs && !this.loader)
      deps.log.warn(
        { zone: o.zone, root: o.root },
        "agents start readable by their applications: the zone's root, or a folder above it, is not root's alone, or Node.js names no loader",
      );
    this.spares = new SparePool(o, agentEnv, deps.log, this.loader);
  }

  async create(spec: HostSpec): Promise<HostInfo> {
    // one allocation at a time per zone: two new nodes must not take the same address, also when
    // two adapters share the zone's root (withRootLock)
    return this.alloc.run('address', () =>
      withRootLock(this.o.root, async () => {
        const existing = await this.get(spec.node);
        if (existing) return existing;
        const address = allocate(
          this.o.range,
          (await this.list()).map((h) => h.address),
          this.zone,
        );
        const dir = this.dirOf(spec.node);
        await mkdir(dir, { recursive: true });
        const runAs = this.o.runAs;
        if (runAs) {
          // the agent (group) may add its own files; sticky: it may not remove or replace ours
          await chown(dir, 0, runAs.gid);
          await chmod(dir, 0o1770);
        }
        const host = newHost(spec, this.zone, this.kind, address, dir);
        await this.save(host);
        this.deps.log.info({ vnf: host.vnf, node: host.node, zone: this.zone, address, dir }, 'process host created');
        return host;
      }),
    );
  }

  async start(host: HostInfo): Promise<HostInfo> {
    const { nc, log } = this.deps;
    const dir = this.dirOf(host.node);
    if (!existsSync(this.o.agentMain)) throw rpcError('unavailable', 'vnf-agent is not built', { agentMain: this.o.agentMain });
    // an agent left by a start that never saw its hello (the adapter died meanwhile) goes first:
    // one agent per node; its application leads its own group and is left for the new agent
    // (recorded or not: the adapter may have died between spawning it and saving its pid)
    for (const previous of agentsOf(marker(host.node), dir)) {
      log.warn({ vnf: host.vnf, node: host.node, pid: previous }, 'stopping agent of an unfinished start');
      await terminate(previous, marker(host.node), { group: true, graceMs: 2_000 });
    }
    // a new identity each start, the spare's too: a spare never holds one before its node
    const identity = await this.replaceIdentity(host);
    const hello = await HelloWaiter.open(nc, host.node);
    // what the agent learns of its host: a cold agent in its environment, a spare in its assignment
    const hostEnv: Agent.SpareAssignment['env'] = { NATS_URL: natsUrl(), VNF_NODE: host.node, VNF_ADDRESS: host.address, VNF_WORKDIR: dir };
    if (this.o.runAs) hostEnv.HOME = dir;
    const spare = this.spares.take(host.node);
    let child: ChildProcess;
    try {
      child = spare ?? this.spawnCold(host, hostEnv, identity !== undefined);
    } catch (err) {
      hello.close();
      this.spares.fill();
      throw err;
    }
    if (!spare && identity && child.stdin) {
      child.stdin.on('error', () => undefined); // an agent that died at once: its exit is reported below
      child.stdin.end(Buffer.from(identity.creds));
    }
    // listening at once: an early exit or spawn error must not go unseen while we save
    const outcome = this.helloOrFailure(hello, child);
    const pid = child.pid;
    // this start's record, without what an earlier start of the host said
    const { warm: _earlier, ...record } = host;
    const started: HostInfo = spare ? { ...record, warm: true } : record;
    // saved before waiting, so that an adapter dying now still finds (and can stop) this agent
    if (pid) await this.save({ ...started, pid, state: 'creating' });
    if (spare) {
      const log = join(dir, AGENT_LOG);
      try {
        await this.agentMayWrite(log);
      } catch (err) {
        // never assigned: it ends as a spare would (its outcome, an exit, is nobody's to wait for)
        spare.kill('SIGKILL');
        hello.close();
        this.spares.fill();
        throw err;
      }
      this.spares.assign(spare, { env: hostEnv, creds: identity && Buffer.from(identity.creds).toString('utf8'), log });
    }
    const failure = await outcome.finally(() => this.spares.fill());
    if (failure || !pid) {
      if (pid) await terminate(pid, marker(host.node), { group: true, graceMs: 2_000 });
      // a spare that never took its node keeps the spare's marker
      if (pid && spare) await terminate(pid, Agent.Spare.flag, { group: true, graceMs: 2_000 });
      log.warn({ vnf: host.vnf, node: host.node, reason: failure }, 'agent failed to start');
      throw rpcError('step_failed', 'virtual host did not start', {
        node: host.node,
        reason: failure ?? 'no pid',
        log: tail(join(dir, AGENT_LOG)),
      });
    }
    const running: HostInfo = { ...started, pid, state: 'running' };
    await this.save(running);
    // our child: its exit is known at once (a host-down within a millisecond), and how it ended
    this.children.set(pid, undefined);
    child.once('exit', (code, signal) => {
      this.children.set(pid, signal ?? `exit ${code}`);
      this.look(host.node);
      this.children.delete(pid);
    });
    this.follow(host.node, pid);
    log.info({ vnf: host.vnf, node: host.node, pid, address: host.address, warm: !!spare }, spare ? 'agent started from a spare' : 'agent started');
    return running;
  }

  /** A host's agent started as today: its node on the command line and in its environment. */
  private spawnCold(host: HostInfo, hostEnv: Agent.SpareAssignment['env'], identity: boolean): ChildProcess {
    const dir = this.dirOf(host.node);
    const env: NodeJS.ProcessEnv = { ...agentEnv(), ...hostEnv };
    // the credentials go through a pipe, never a file or the environment its application could read
    if (identity) env.NATS_CREDS = '-';
    const runAs = this.o.runAs;
    if (runAs) Object.assign(env, { USER: runAs.user, LOGNAME: runAs.user });
    const out = openSync(join(dir, AGENT_LOG), 'a');
    try {
      const [program, args] = agentCommand(this.loaderPath(), [...Agent.RuntimeEnv.nodeFlags, this.o.agentMain, marker(host.node)]);
      const child = spawn(program, args, {
        cwd: dir,
        env,
        detached: true,
        stdio: [identity ? 'pipe' : 'ignore', out, out],
        ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
      child.unref();
      return child;
    } finally {
      closeSync(out);
    }
  }

  /** the zone's loader copy, if it has one; a copy that cannot be made is the start's failure, said as such */
  private loaderPath(): string | undefined {
    try {
      return this.loader?.path();
    } catch (err) {
      if (err instanceof LoaderError) throw rpcError('unavailable', `zone ${this.zone}: ${err.message}`, { zone: this.zone });
      throw err;
    }
  }

  /**
   * A spare opens the host's log itself (a cold agent is handed it open): as the unprivileged
   * user it may append to it through the group, while the file stays ours (the folder is sticky).
   */
  private async agentMayWrite(log: string): Promise<void> {
    const runAs = this.o.runAs;
    closeSync(openSync(log, 'a'));
    if (!runAs) return;
    await chown(log, 0, runAs.gid);
    await chmod(log, 0o660);
  }

  /** The zone's spare stops with the adapter; hosts' agents do not. */
  close(): void {
    this.spares.close();
  }

  async confirm(host: HostInfo): Promise<HostInfo> {
    const running: HostInfo = { ...((await this.get(host.node)) ?? host), state: 'running' };
    await this.save(running);
    if (running.pid) this.follow(host.node, running.pid);
    this.deps.log.info({ vnf: host.vnf, node: host.node, pid: running.pid }, 'agent of an unfinished start answered');
    return running;
  }

  async stop(host: HostInfo, o: StopOptions = {}): Promise<void> {
    this.watched.delete(host.node);
    const current = (await this.get(host.node)) ?? host;
    const pid = current.pid;
    const m = marker(host.node);
    if (pid && pidAlive(pid, m)) {
      const exited = o.asked ? await waitExit(pid, m, this.o.exitGraceMs) : false;
      if (!exited) {
        this.deps.log.warn({ vnf: host.vnf, node: host.node, pid, asked: !!o.asked }, 'signalling agent');
        await terminate(pid, m, { group: true, graceMs: 5_000 });
      }
    }
    await this.stopApp(host);
    if (existsSync(join(this.dirOf(host.node), HOST_FILE))) await this.save({ ...current, state: 'stopped' });
  }

  async destroy(host: HostInfo): Promise<void> {
    this.watched.delete(host.node);
    // revoked first: if the keeper cannot be reached the folder stays, and the removal is tried again
    const jwt = this.identityOf(host.node);
    if (jwt && this.deps.identities.enabled) await this.deps.identities.revoke(jwt, host.node);
    // node ids are subject tokens (no dots, no slashes), so this stays inside root
    await rm(this.dirOf(host.node), { recursive: true, force: true });
    this.deps.log.info({ vnf: host.vnf, node: host.node, address: host.address }, 'process host destroyed');
  }

  async get(node: string): Promise<HostInfo | undefined> {
    if (!TOKEN_RE.test(node)) return undefined;
    const file = join(this.dirOf(node), HOST_FILE);
    // most nodes asked about are new: no failed read (and its error) for them
    if (!existsSync(file)) return undefined;
    let host: HostInfo;
    try {
      // a small local file: read in place, not through the thread pool and back (a step waits)
      host = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.log.warn({ node, err: (err as Error).message }, 'unreadable host.json');
      return undefined;
    }
    if (host?.node !== node || typeof host.address !== 'string') {
      this.deps.log.warn({ node }, 'host.json does not describe this host');
      return undefined;
    }
    // 'creating' until start() saw the agent's hello, whatever the pid says: an agent that never
    // announced itself is not vouched for
    const state = host.state === 'creating' ? 'creating' : (await this.alive(host)) ? 'running' : 'stopped';
    return { ...host, zone: this.zone, driver: this.kind, ref: this.dirOf(node), state };
  }

  async list(): Promise<HostInfo[]> {
    let names: string[];
    try {
      names = (await readdir(this.o.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const hosts = await Promise.all(names.sort().map((n) => this.get(n)));
    return hosts.filter((h): h is HostInfo => h !== undefined);
  }

  async alive(host: HostInfo): Promise<boolean> {
    return pidAlive(host.pid, marker(host.node));
  }

  /**
   * Agents are detached and outlive the adapter, so most are not its children: every WATCH_MS
   * each running host's agent is looked at (/proc/<pid>/stat: gone, a zombie, or another
   * process's start time is a death); an agent this adapter spawned is also reported on its exit
   * event, at once. Hosts running when the watch begins are found by listing the zone.
   */
  watch(down: HostDownListener): () => void {
    this.onDown = down;
    void this.list()
      .then((hosts) => {
        for (const h of hosts) if (h.state === 'running' && h.pid) this.follow(h.node, h.pid);
      })
      .catch((err: Error) => this.deps.log.warn({ zone: this.zone, err: err.message }, 'cannot list hosts to watch'));
    const timer = setInterval(() => {
      for (const node of this.watched.keys()) this.look(node);
    }, WATCH_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.onDown = undefined;
    };
  }

  /** from now on, a death of this agent is reported; one already gone is not followed */
  private follow(node: string, pid: number): void {
    const start = processStart(pid);
    if (start !== undefined && pidAlive(pid, marker(node))) this.watched.set(node, { pid, start });
  }

  /** reports the host once if its agent is gone */
  private look(node: string): void {
    const w = this.watched.get(node);
    if (!w || processStart(w.pid) === w.start) return;
    const child = this.children.has(w.pid);
    const how = this.children.get(w.pid);
    // our child's exit event is on its way, and says more
    if (child && how === undefined) return;
    this.watched.delete(node);
    this.onDown?.(node, how ? `agent died (${how})` : `agent died (pid ${w.pid} gone)`);
  }

  /** undefined once the agent said hello; otherwise why it did not */
  /** the agent up, or why not: it failed to spawn or exited first */
  private helloOrFailure(hello: HelloWaiter, child: ChildProcess): Promise<string | undefined> {
    const failed = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`agent did not start: ${err.message}`));
      child.once('exit', (code, signal) => resolve(`agent exited (${code ?? signal}) before its hello`));
    });
    return hello.wait(this.o.helloTimeoutMs, failed).finally(() => child.removeAllListeners('exit').removeAllListeners('error'));
  }

  /**
   * A new identity for the agent about to start; the one an earlier agent of this host had (now
   * stopped) is revoked first, so that one node never has two identities that connect.
   */
  private async replaceIdentity(host: HostInfo) {
    const { identities } = this.deps;
    if (!identities.enabled) return undefined;
    const previous = this.identityOf(host.node);
    if (previous) await identities.revoke(previous, host.node);
    const identity = await identities.mint(host.node);
    if (identity) await writeFile(join(this.dirOf(host.node), IDENTITY_FILE), identity.jwt, { mode: 0o600 });
    return identity;
  }

  private identityOf(node: string): string | undefined {
    try {
      return readFileSync(join(this.dirOf(node), IDENTITY_FILE), 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** The agent normally stops its application; this catches one left behind by a killed agent. */
  private async stopApp(host: HostInfo): Promise<void> {
    const app = appOf(join(this.dirOf(host.node), AGENT_STATE));
    if (!app || !pidAlive(app.pid) || !belongsTo(app.pid, host.node)) return;
    this.deps.log.warn({ vnf: host.vnf, node: host.node, pid: app.pid }, 'stopping application left by its agent');
    // the agent starts it detached, so it leads its own group: stop its children too
    await terminate(app.pid, undefined, { group: true, graceMs: 5_000 });
  }

  async logs(host: HostInfo, o: LogsOptions): Promise<LogsReply> {
    return fileLogs(join(this.dirOf(host.node), o.source === 'agent' ? AGENT_LOG : APP_LOG), o.tail, o.cursor);
  }

  private dirOf(node: string): string {
    return join(this.o.root, node);
  }

  private async save(host: HostInfo): Promise<void> {
    const file = join(this.dirOf(host.node), HOST_FILE);
    await writeFile(`${file}.tmp`, `${JSON.stringify(host, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }
}

/**
 * What every agent of the zone, spare or cold, starts with: the adapter's environment without its
 * own secrets, and with Node.js's start-up variables moved aside for the application (ADR 30).
 */
function agentEnv(): NodeJS.ProcessEnv {
  const env = Agent.parkRuntimeEnv(process.env);
  for (const k of PRIVATE_ENV) delete env[k];
  return env;
}

/** The argument that names the node on the agent's command line, and that liveness looks for. */
const marker = (node: string) => `--node=${node}`;

function appOf(file: string): { pid: number } | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8'));
    const pid = s?.pid;
    return typeof pid === 'number' ? { pid } : undefined;
  } catch {
    return undefined;
  }
}

/** An application pid is ours only if its environment names this node (guards against pid reuse). */
function belongsTo(pid: number, node: string): boolean {
  const env = procEnviron(pid);
  // without /proc there is nothing to tell by
  return env ? env.includes(`VNF_NODE=${node}`) : !HAS_PROC;
}

function tail(file: string, bytes = 2_000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}
