import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { replyError } from '@vnf-lcm/bus/wire';
import type { Agent, Descriptor } from '@vnf-lcm/contracts';
import { APP_ROOTS, refuseUnsafeApp } from './app-policy.js';
import type { AgentEnv } from './env.js';
import type { Log } from './log.js';
import { sameJson, writeJsonAtomic } from './files.js';
import { errorText, httpGet, probe, tcpProbe } from './probe.js';
import { AppProcess, describeExit, findOurApps, isAlive, isOurApp, killApp, runCommand, type SpawnOptions } from './process.js';
import { emptyState, HostPaths, StateStore, type AgentState } from './state.js';

const Timing = {
  stopGraceMs: 10_000,
  /** a start that failed its health check is killed, not drained */
  failedStartGraceMs: 2_000,
  reloadTimeoutMs: 30_000,
  reloadConfirmMs: 5_000,
  healthIntervalMs: 200,
  healthTimeoutMs: 30_000,
  probeTimeoutMs: 2_000,
  monitorMinMs: 500,
  failuresToUnhealthy: 3,
  /** for the port to free after strays were killed */
  portFreeMs: 2_000,
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The application on this node: its spec, its process and its config file. Requests that change
 * anything run one at a time, and each is idempotent: a repeated request answers with the
 * current status instead of acting twice.
 */
export class AppManager {
  readonly paths: HostPaths;
  private readonly store: StateStore;
  private s: AgentState;
  private proc?: AppProcess;
  private queue: Promise<unknown> = Promise.resolve();
  private startAbort?: AbortController;
  private monitor?: NodeJS.Timeout;
  private closing?: Promise<void>;
  /**
   * Called as soon as the application fails or turns unhealthy on its own, so that the heartbeat
   * goes out at once rather than at the next tick: the VNFM asks for healing on it.
   */
  onFailure?: () => void;

  constructor(
    private readonly env: AgentEnv,
    private readonly log: Log,
  ) {
    this.paths = new HostPaths(env.workdir);
    this.store = new StateStore(this.paths);
    for (const { root, reason } of APP_ROOTS.ignored) log.warn({ root, reason }, 'VNF_APP_ROOTS entry ignored');
    this.s = this.recover();
  }

  status(): Agent.Status {
    const s = this.s;
    const app: Agent.Status['app'] = { state: s.state };
    if (s.app) Object.assign(app, { version: s.app.version, port: s.app.port });
    if (s.pid !== undefined) app.pid = s.pid;
    if (s.starts > 1) app.restarts = s.starts - 1;
    if (s.reason) app.reason = s.reason;
    if (s.healthy !== undefined) app.healthy = s.healthy;
    const out: Agent.Status = { node: this.env.node, address: this.env.address, app, members: s.members, endpoints: s.endpoints };
    if (s.vnf) out.vnf = s.vnf;
    if (s.cluster) out.cluster = s.cluster;
    return out;
  }

  create(p: Agent.AppCreate, op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      // before anything is recorded: a refused spec leaves the node as it was
      refuseUnsafeApp(p.app);
      const s = this.s;
      const same = s.state !== 'absent' && s.vnf === p.vnf && s.cluster === p.cluster && sameJson(s.app, p.app) && sameJson(s.health, p.health);
      if (this.isLive()) {
        if (!same) this.log.warn({ op }, 'application is running with another spec; only its config is updated');
        const changed = !sameJson(s.members, p.members) || !sameJson(s.endpoints, p.endpoints);
        Object.assign(s, { members: p.members, endpoints: p.endpoints });
        await this.applyConfig(op, changed);
        return this.status();
      }
      Object.assign(s, { vnf: p.vnf, cluster: p.cluster, app: p.app, health: p.health, members: p.members, endpoints: p.endpoints });
      if (!same) Object.assign(s, { state: 'created', starts: 0, reason: undefined, healthy: undefined });
      mkdirSync(this.paths.appDir, { recursive: true });
      this.writeConfig();
      this.save();
      if (!same) this.log.info({ op, vnf: p.vnf, cluster: p.cluster, version: p.app.version }, 'application created');
      return this.status();
    });
  }

  start(op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      const app = this.s.app;
      if (!app || this.s.state === 'absent') throw replyError('conflict', 'no application created on this node');
      if (this.isLive()) return this.status();
      await this.launch(app, op);
      return this.status();
    });
  }

  stop(op: string): Promise<Agent.Status> {
    this.startAbort?.abort();
    return this.serial(async () => {
      await this.halt(op);
      return this.status();
    });
  }

  destroy(op: string): Promise<Agent.Status> {
    this.startAbort?.abort();
    return this.serial(async () => {
      await this.halt(op);
      rmSync(this.paths.appDir, { recursive: true, force: true });
      const had = this.s.state !== 'absent';
      this.s = emptyState();
      this.save();
      if (had) this.log.info({ op }, 'application destroyed');
      return this.status();
    });
  }

  reconfigureCluster(members: Descriptor.Endpoint[], op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      const dropped = lost(this.s.members, members);
      this.s.members = members;
      await this.applyConfig(op, true, dropped);
      this.log.info({ op, members: members.map((m) => m.node) }, 'cluster reconfigured');
      return this.status();
    });
  }

  reconfigureClient(provider: string, endpoints: Descriptor.Endpoint[], op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      const dropped = lost(this.s.endpoints[provider] ?? [], endpoints);
      this.s.endpoints = { ...this.s.endpoints, [provider]: endpoints };
      await this.applyConfig(op, true, dropped);
      this.log.info({ op, provider, endpoints: endpoints.map((e) => e.node) }, 'client reconfigured');
      return this.status();
    });
  }

  /** Stop the application for good (the host is going away); safe to call more than once. */
  shutdown(op = 'none'): Promise<void> {
    this.startAbort?.abort();
    return (this.closing ??= this.serial(() => this.halt(op)));
  }

  // --- inside the queue -------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private isLive(): boolean {
    return this.proc?.alive === true && (this.s.state === 'running' || this.s.state === 'starting');
  }

  private async launch(app: Descriptor.AppSpec, op: string): Promise<void> {
    // a spec saved before the policy (or under other roots) is not started either
    refuseUnsafeApp(app);
    mkdirSync(this.paths.appDir, { recursive: true });
    this.writeConfig();
    const abort = (this.startAbort = new AbortController());
    let proc = this.takeOver(app, op);
    if (!proc) {
      await this.portFree(app, op);
      if (abort.signal.aborted) {
        this.update({ state: 'stopped', pid: undefined, healthy: undefined });
        throw replyError('conflict', 'start was cancelled by a stop request');
      }
      try {
        proc = await AppProcess.spawn(app.command, app.args ?? [], this.spawnOptions(app));
      } catch (err) {
        this.update({ state: 'failed', reason: `cannot start application: ${(err as Error).message}`, pid: undefined, healthy: undefined });
        this.log.warn({ op, err: (err as Error).message }, 'application did not start');
        throw replyError('step_failed', this.s.reason!);
      }
      this.log.info({ op, pid: proc.pid, version: app.version }, 'application spawned');
    }
    this.proc = proc;
    this.watch(proc);
    this.update({ state: 'starting', pid: proc.pid, reason: undefined, healthy: undefined, starts: this.s.starts + 1 });
    await this.settle(proc, app, op, abort);
  }

  /** Running once healthy; otherwise killed, and the step fails. */
  private async settle(proc: AppProcess, app: Descriptor.AppSpec, op: string, abort: AbortController): Promise<void> {
    const problem = await this.waitHealthy(proc, app, abort.signal);
    if (this.startAbort === abort) this.startAbort = undefined;
    if (problem === undefined) {
      this.update({ state: 'running', healthy: true });
      this.startMonitor();
      this.log.info({ op, pid: proc.pid, version: app.version }, 'application started');
      return;
    }
    await proc.stop(Timing.failedStartGraceMs);
    if (this.proc === proc) this.proc = undefined;
    if (abort.signal.aborted) {
      this.update({ state: 'stopped', pid: undefined, healthy: undefined });
      throw replyError('conflict', 'start was cancelled by a stop request');
    }
    const reason = `application did not become healthy: ${problem}`;
    this.update({ state: 'failed', reason, pid: undefined, healthy: undefined });
    this.log.warn({ op, pid: proc.pid, reason }, 'application failed to start');
    throw replyError('step_failed', reason);
  }

  /**
   * Applications of this node that the state does not record: an agent killed between spawning
   * its app and saving the pid leaves one running. The only one, of the spec's version, is
   * adopted (returned); any other is killed, so that it cannot answer for the app we start next.
   */
  private takeOver(app: Descriptor.AppSpec | undefined, op: string): AppProcess | undefined {
    const current = this.proc?.alive ? this.proc.pid : undefined;
    const found = findOurApps(this.marks()).filter((f) => f.pid !== current);
    const only = found.length === 1 ? found[0] : undefined;
    const keep = current === undefined && app && only?.leader && only.version === app.version ? only : undefined;
    for (const f of found) {
      if (f === keep) continue;
      killApp(f);
      this.log.warn({ op, pid: f.pid, version: f.version }, 'stray application killed');
    }
    if (!keep) return undefined;
    this.log.info({ op, pid: keep.pid, version: keep.version }, 'stray application adopted');
    return AppProcess.adopt(keep.pid, this.marks());
  }

  /** A health answer on a port someone else holds would be theirs, not our new app's. */
  private async portFree(app: Descriptor.AppSpec, op: string): Promise<void> {
    const deadline = Date.now() + Timing.portFreeMs;
    for (;;) {
      try {
        await tcpProbe(this.env.address, app.port, 500);
      } catch {
        return;
      }
      if (Date.now() >= deadline) break;
      await sleep(50);
    }
    const reason = `port ${app.port} on ${this.env.address} is taken by another process`;
    this.update({ state: 'failed', reason, pid: undefined, healthy: undefined });
    this.log.warn({ op, port: app.port }, reason);
    throw replyError('step_failed', reason);
  }

  /** undefined once healthy, else why not */
  private async waitHealthy(proc: AppProcess, app: Descriptor.AppSpec, signal: AbortSignal): Promise<string | undefined> {
    const h = this.s.health;
    const interval = h?.intervalMs ?? Timing.healthIntervalMs;
    const timeout = h?.timeoutMs ?? Timing.healthTimeoutMs;
    const deadline = Date.now() + timeout;
    let last = 'no answer yet';
    for (;;) {
      if (signal.aborted) return 'start cancelled';
      if (!proc.alive) return describeExit(await proc.exited);
      try {
        await probe(this.env.address, app.port, h?.http, Math.max(1, Math.min(Timing.probeTimeoutMs, deadline - Date.now())));
        // the answer counts only while our process lives: the port was free when it started,
        // so then the answer is its own; an exit event may lag, so ask /proc too
        if (proc.alive && this.stillOurs(proc)) return undefined;
      } catch (err) {
        last = errorText(err);
      }
      const left = deadline - Date.now();
      if (left <= 0) return `no healthy answer in ${timeout} ms (${last})`;
      await Promise.race([sleep(Math.min(interval, left)), proc.exited]);
    }
  }

  private stillOurs(proc: AppProcess): boolean {
    return proc.adopted ? isOurApp(proc.pid, this.marks()) : isAlive(proc.pid);
  }

  private async halt(op: string): Promise<void> {
    const proc = this.proc;
    this.stopMonitor();
    if (!proc) {
      if (this.s.state === 'running' || this.s.state === 'starting') this.update({ state: 'stopped', pid: undefined, healthy: undefined });
      return;
    }
    const exit = await proc.stop(Timing.stopGraceMs);
    if (this.proc === proc) this.proc = undefined;
    this.update({ state: 'stopped', pid: undefined, healthy: undefined, reason: undefined });
    this.log.info({ op, pid: proc.pid, code: exit.code, signal: exit.signal }, 'application stopped');
  }

  /**
   * Save, rewrite the config and make a running app re-read it. `confirm`: answer only once the
   * app reports it applied the change; needed when a node was dropped (it must get no more
   * requests once we answer), not when one was added (sending to it early is harmless).
   */
  private async applyConfig(op: string, reload: boolean, confirm = false): Promise<void> {
    this.save();
    const app = this.s.app;
    if (!app || this.s.state === 'absent') return;
    mkdirSync(this.paths.appDir, { recursive: true });
    this.writeConfig();
    const proc = this.proc;
    // never signal an app whose start has not completed (state starting): it may not handle
    // the signal yet, and the default action of most is to die; it reads the new file at start
    if (!reload || !proc?.alive || this.s.state !== 'running') return;
    const how = app.reload;
    if (how?.signal) {
      try {
        proc.signal(how.signal);
      } catch (err) {
        throw replyError('step_failed', `cannot signal the application: ${errorText(err)}`);
      }
    }
    if (how?.command?.length) {
      const failed = await runCommand(how.command, this.spawnOptions(app), Timing.reloadTimeoutMs);
      if (failed) throw replyError('step_failed', `reload command failed: ${failed}`);
    }
    if (how?.signal || how?.command?.length) {
      const applied = confirm && (await this.awaitGeneration(app));
      this.log.info({ op, pid: proc.pid, generation: this.s.generation, confirmed: applied }, 'application reloaded');
    }
  }

  /**
   * Waits until the application's health answer reports the config generation just written.
   * An application that reports none is taken at its signal's word.
   */
  private async awaitGeneration(app: Descriptor.AppSpec): Promise<boolean> {
    const path = this.s.health?.http;
    const want = this.s.generation ?? 0;
    if (!path) return false;
    const deadline = Date.now() + Timing.reloadConfirmMs;
    while (Date.now() < deadline) {
      try {
        const r = await httpGet(`http://${this.env.address}:${app.port}${path}`, 1000);
        const got = (JSON.parse(r.body) as { generation?: unknown }).generation;
        if (typeof got !== 'number') return false;
        if (got >= want) return true;
      } catch {
        /* not answering this instant: try again until the deadline */
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw replyError('step_failed', `application did not apply config generation ${want} in ${Timing.reloadConfirmMs} ms`);
  }

  // --- process watching --------------------------------------------------------------------

  /** An exit nobody asked for is a failure; the VNFM decides what to do, so no restart here. */
  private watch(proc: AppProcess): void {
    void proc.exited.then((exit) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      this.stopMonitor();
      if (proc.stopping) return;
      this.update({ state: 'failed', reason: describeExit(exit), pid: undefined, healthy: undefined });
      this.onFailure?.();
      this.log.warn({ pid: proc.pid, code: exit.code, signal: exit.signal }, 'application exited unexpectedly');
    });
  }

  private startMonitor(): void {
    this.stopMonitor();
    const every = Math.max(this.s.health?.intervalMs ?? Timing.healthIntervalMs, Timing.monitorMinMs);
    let failures = 0;
    let busy = false;
    const timer = setInterval(async () => {
      const proc = this.proc;
      const app = this.s.app;
      if (busy || !proc?.alive || !app || this.s.state !== 'running') return;
      busy = true;
      try {
        await probe(this.env.address, app.port, this.s.health?.http, Math.min(Timing.probeTimeoutMs, every));
        failures = 0;
        if (this.monitor === timer && this.s.healthy !== true) {
          if (this.s.healthy === false) this.log.info({ pid: proc.pid }, 'application healthy again');
          this.update({ healthy: true, reason: undefined });
        }
      } catch (err) {
        failures++;
        if (failures >= Timing.failuresToUnhealthy && this.monitor === timer && this.s.healthy !== false) {
          const reason = `health check failed ${failures} times: ${errorText(err)}`;
          this.update({ healthy: false, reason });
          this.onFailure?.();
          this.log.warn({ pid: proc.pid, reason }, 'application unhealthy');
        }
      } finally {
        busy = false;
      }
    }, every);
    this.monitor = timer;
  }

  private stopMonitor(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
  }

  // --- state and files ---------------------------------------------------------------------

  /**
   * After an agent restart the application may still run: adopt it if the recorded pid is
   * alive and is ours, so that a restart never starts a second copy. An app the state does not
   * record (the agent died between spawn and save) is adopted or killed, see takeOver.
   */
  private recover(): AgentState {
    let s: AgentState;
    try {
      s = this.store.load() ?? emptyState();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'agent state unreadable; starting empty');
      s = emptyState();
    }
    this.s = s;
    const marks = this.marks();
    const pid = s.pid;
    if ((s.state === 'running' || s.state === 'starting') && pid !== undefined && isOurApp(pid, marks)) {
      this.proc = AppProcess.adopt(pid, marks);
      this.watch(this.proc);
      this.log.info({ pid }, 'application adopted');
      if (s.state === 'running') this.startMonitor();
    } else if (s.state === 'running' || s.state === 'starting') {
      Object.assign(s, { state: 'stopped', pid: undefined, healthy: undefined, reason: 'application was gone when the agent restarted' });
      this.log.warn({ pid }, 'application was gone when the agent restarted');
    }
    const stray = this.takeOver(s.state === 'absent' ? undefined : s.app, 'none');
    if (stray) {
      this.proc = stray;
      this.watch(stray);
      Object.assign(s, { state: 'starting', pid: stray.pid, reason: undefined, healthy: undefined, starts: s.starts + 1 });
    }
    this.save();
    // a start the previous agent did not see through: finish it before any request runs
    if (this.proc && s.state === 'starting' && s.app) this.finishStart(this.proc, s.app);
    return s;
  }

  private finishStart(proc: AppProcess, app: Descriptor.AppSpec): void {
    const abort = (this.startAbort = new AbortController());
    this.serial(() => this.settle(proc, app, 'none', abort)).catch(() => undefined);
  }

  /** only our application's environment holds both */
  private marks(): string[] {
    return [`VNF_NODE=${this.env.node}`, `VNF_CONFIG=${this.paths.config}`];
  }

  /** Every process of the application (itself, its reload command) is started with these. */
  private spawnOptions(app: Descriptor.AppSpec): SpawnOptions {
    refuseUnsafeApp(app);
    // the bus is the agent's, not the application's: no server address, identity or CA of it
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NATS_')));
    const s = this.s;
    return {
      cwd: resolve(this.paths.appDir, app.cwd ?? '.'),
      logPath: this.paths.appLog,
      env: {
        ...inherited,
        ...app.env,
        VNF_NODE: this.env.node,
        VNF_CLUSTER: s.cluster ?? '',
        VNF_VNF: s.vnf ?? '',
        VNF_ADDRESS: this.env.address,
        VNF_PORT: String(app.port),
        VNF_VERSION: app.version,
        VNF_CONFIG: this.paths.config,
      },
    };
  }

  private writeConfig(): void {
    const { s } = this;
    if (!s.app) return;
    const config: Agent.AppConfig = {
      node: this.env.node,
      vnf: s.vnf ?? '',
      cluster: s.cluster ?? '',
      address: this.env.address,
      port: s.app.port,
      version: s.app.version,
      members: s.members,
      endpoints: s.endpoints,
      generation: (s.generation = (s.generation ?? 0) + 1),
    };
    writeJsonAtomic(this.paths.config, config);
  }

  private update(patch: Partial<AgentState>): void {
    Object.assign(this.s, patch);
    this.save();
  }

  private save(): void {
    const clean = Object.fromEntries(Object.entries(this.s).filter(([, v]) => v !== undefined));
    this.store.save(clean as unknown as AgentState);
  }
}

/** whether a node of `before` is missing from `after` */
function lost(before: Descriptor.Endpoint[], after: Descriptor.Endpoint[]): boolean {
  return before.some((b) => !after.some((a) => a.node === b.node && a.address === b.address && a.port === b.port));
}
