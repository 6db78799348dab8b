import { replyError } from '@vnf-lcm/bus/wire';
import type { Descriptor } from '@vnf-lcm/contracts';
import { takeOver } from './adoption.js';
import type { AppConfig } from './app-config.js';
import type { AppHost } from './app-host.js';
import { refuseUnsafeApp } from './app-policy.js';
import { Probing, type HealthMonitor } from './health-monitor.js';
import { errorText, probe, tcpProbe } from './probe.js';
import { AppProcess, describeExit, isAlive, isOurApp } from './process.js';

const Timing = {
  stopGraceMs: 10_000,
  /** a start that failed its health check is killed, not drained */
  failedStartGraceMs: 2_000,
  /** for the first healthy answer, when the spec's health check names no timeout */
  healthTimeoutMs: 30_000,
  /** for the port to free after strays were killed */
  portFreeMs: 2_000,
  /**
   * A starting application is asked this often (or at its check's interval, if shorter) for its
   * first second: most answer within 100 ms of their spawn, and each node of a deployment waits
   * for the one before it to be healthy, so half an interval lost per start (25 ms at the
   * examples' 50 ms, 100 ms at the default 200 ms) adds up along the cluster. A refused connect
   * on loopback costs about 0.1 ms. After that second, the check's own interval.
   */
  startPaceMs: 10,
  startFastMs: 1_000,
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the application (or adopts a stray of it), waits until it answers healthy, and stops it.
 * A start is running once healthy; otherwise the process is killed and the step fails. A stop
 * cancels a start still waiting (cancel()).
 */
export class Launcher {
  private startAbort?: AbortController;

  constructor(
    private readonly host: AppHost,
    private readonly config: AppConfig,
    private readonly monitor: HealthMonitor,
  ) {}

  /** called ahead of the queue, so that a stop does not wait for a start's whole health timeout */
  cancel(): void {
    this.startAbort?.abort();
  }

  async launch(app: Descriptor.AppSpec, op: string): Promise<void> {
    const host = this.host;
    // a spec saved before the policy (or under other roots) is not started either
    refuseUnsafeApp(app);
    this.config.write();
    const abort = (this.startAbort = new AbortController());
    let proc = takeOver(host, app, op);
    if (!proc) {
      await this.portFree(app, op);
      if (abort.signal.aborted) {
        host.update({ state: 'stopped', pid: undefined, healthy: undefined });
        throw replyError('conflict', 'start was cancelled by a stop request');
      }
      try {
        proc = await AppProcess.spawn(app.command, app.args ?? [], host.spawnOptions(app));
      } catch (err) {
        host.update({ state: 'failed', reason: `cannot start application: ${(err as Error).message}`, pid: undefined, healthy: undefined });
        host.log.warn({ op, err: (err as Error).message }, 'application did not start');
        throw replyError('step_failed', host.s.reason!);
      }
      host.log.info({ op, pid: proc.pid, version: app.version }, 'application spawned');
    }
    host.proc = proc;
    this.monitor.watch(proc);
    host.update({ state: 'starting', pid: proc.pid, reason: undefined, healthy: undefined, starts: host.s.starts + 1 });
    await this.settle(proc, app, op, abort);
  }

  /**
   * A start the previous agent did not see through (recover): cancellable from now on, settled
   * when the returned step runs in the queue.
   */
  resume(proc: AppProcess, app: Descriptor.AppSpec, op: string): () => Promise<void> {
    const abort = (this.startAbort = new AbortController());
    return () => this.settle(proc, app, op, abort);
  }

  async halt(op: string): Promise<void> {
    const host = this.host;
    const proc = host.proc;
    this.monitor.stop();
    if (!proc) {
      if (host.s.state === 'running' || host.s.state === 'starting') host.update({ state: 'stopped', pid: undefined, healthy: undefined });
      return;
    }
    const exit = await proc.stop(Timing.stopGraceMs);
    if (host.proc === proc) host.proc = undefined;
    host.update({ state: 'stopped', pid: undefined, healthy: undefined, reason: undefined });
    host.log.info({ op, pid: proc.pid, code: exit.code, signal: exit.signal }, 'application stopped');
  }

  /** Running once healthy; otherwise killed, and the step fails. */
  private async settle(proc: AppProcess, app: Descriptor.AppSpec, op: string, abort: AbortController): Promise<void> {
    const host = this.host;
    const problem = await this.waitHealthy(proc, app, abort.signal);
    if (this.startAbort === abort) this.startAbort = undefined;
    if (problem === undefined) {
      host.update({ state: 'running', healthy: true });
      this.monitor.start();
      host.log.info({ op, pid: proc.pid, version: app.version }, 'application started');
      return;
    }
    await proc.stop(Timing.failedStartGraceMs);
    if (host.proc === proc) host.proc = undefined;
    if (abort.signal.aborted) {
      host.update({ state: 'stopped', pid: undefined, healthy: undefined });
      throw replyError('conflict', 'start was cancelled by a stop request');
    }
    const reason = `application did not become healthy: ${problem}`;
    host.update({ state: 'failed', reason, pid: undefined, healthy: undefined });
    host.log.warn({ op, pid: proc.pid, reason }, 'application failed to start');
    throw replyError('step_failed', reason);
  }

  /** A health answer on a port someone else holds would be theirs, not our new app's. */
  private async portFree(app: Descriptor.AppSpec, op: string): Promise<void> {
    const host = this.host;
    const deadline = Date.now() + Timing.portFreeMs;
    for (;;) {
      try {
        await tcpProbe(host.env.address, app.port, 500);
      } catch {
        return;
      }
      if (Date.now() >= deadline) break;
      await sleep(50);
    }
    const reason = `port ${app.port} on ${host.env.address} is taken by another process`;
    host.update({ state: 'failed', reason, pid: undefined, healthy: undefined });
    host.log.warn({ op, port: app.port }, reason);
    throw replyError('step_failed', reason);
  }

  /** undefined once healthy, else why not */
  private async waitHealthy(proc: AppProcess, app: Descriptor.AppSpec, signal: AbortSignal): Promise<string | undefined> {
    const host = this.host;
    const h = host.s.health;
    const interval = h?.intervalMs ?? Probing.intervalMs;
    const timeout = h?.timeoutMs ?? Timing.healthTimeoutMs;
    const from = Date.now();
    const deadline = from + timeout;
    let last = 'no answer yet';
    for (;;) {
      if (signal.aborted) return 'start cancelled';
      if (!proc.alive) return describeExit(await proc.exited);
      try {
        await probe(host.env.address, app.port, h?.http, Math.max(1, Math.min(Probing.timeoutMs, deadline - Date.now())));
        // the answer counts only while our process lives: the port was free when it started,
        // so then the answer is its own; an exit event may lag, so ask /proc too
        if (proc.alive && (proc.adopted ? isOurApp(proc.pid, host.marks()) : isAlive(proc.pid))) return undefined;
      } catch (err) {
        last = errorText(err);
      }
      const left = deadline - Date.now();
      if (left <= 0) return `no healthy answer in ${timeout} ms (${last})`;
      const pace = Date.now() - from < Timing.startFastMs ? Math.min(interval, Timing.startPaceMs) : interval;
      await Promise.race([sleep(Math.min(pace, left)), proc.exited]);
    }
  }
}
