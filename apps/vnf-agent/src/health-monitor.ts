import type { AppHost } from './app-host.js';
import { errorText, probe } from './probe.js';
import { describeExit, type AppProcess } from './process.js';

/** the health probe's defaults, for the start's wait too (launcher.ts) */
export const Probing = {
  /** between probes, when the spec's health check names none */
  intervalMs: 200,
  /** one probe's longest wait */
  timeoutMs: 2_000,
} as const;

const Timing = {
  /** a running app is probed at most this often, whatever its spec says */
  monitorMinMs: 500,
  failuresToUnhealthy: 3,
} as const;

/**
 * Counts probe results into the changes of `healthy` worth recording: unhealthy after so many
 * failures in a row (one lost answer is no reason to heal a node), healthy again at the first
 * answer. Each verdict is given once: the caller passes what it has recorded.
 */
export class HealthTally {
  private inRow = 0;

  constructor(readonly threshold: number = Timing.failuresToUnhealthy) {}

  get failures(): number {
    return this.inRow;
  }

  /** true when this answer makes the application healthy (again) */
  passed(healthy: boolean | undefined): boolean {
    this.inRow = 0;
    return healthy !== true;
  }

  /** true when this failure makes the application unhealthy */
  failed(healthy: boolean | undefined): boolean {
    this.inRow++;
    return this.inRow >= this.threshold && healthy !== false;
  }
}

/**
 * Watches the running application: its exit, and its health answer. Both are reported at once
 * (onFailure); the VNFM decides what to do, so nothing is restarted here.
 */
export class HealthMonitor {
  private timer?: NodeJS.Timeout;

  constructor(private readonly host: AppHost) {}

  /** An exit nobody asked for is a failure. */
  watch(proc: AppProcess): void {
    const host = this.host;
    void proc.exited.then((exit) => {
      if (host.proc !== proc) return;
      host.proc = undefined;
      this.stop();
      if (proc.stopping) return;
      host.update({ state: 'failed', reason: describeExit(exit), pid: undefined, healthy: undefined });
      host.onFailure?.();
      host.log.warn({ pid: proc.pid, code: exit.code, signal: exit.signal }, 'application exited unexpectedly');
    });
  }

  /** Probes the running application every health interval (at least monitorMinMs apart). */
  start(): void {
    this.stop();
    const host = this.host;
    const every = Math.max(host.s.health?.intervalMs ?? Probing.intervalMs, Timing.monitorMinMs);
    const tally = new HealthTally();
    let busy = false;
    const timer = setInterval(async () => {
      const proc = host.proc;
      const app = host.s.app;
      if (busy || !proc?.alive || !app || host.s.state !== 'running') return;
      busy = true;
      try {
        await probe(host.env.address, app.port, host.s.health?.http, Math.min(Probing.timeoutMs, every));
        // a verdict counts only while this monitor is the current one (a stop or a restart ends it)
        if (tally.passed(host.s.healthy) && this.timer === timer) {
          if (host.s.healthy === false) host.log.info({ pid: proc.pid }, 'application healthy again');
          host.update({ healthy: true, reason: undefined });
        }
      } catch (err) {
        if (tally.failed(host.s.healthy) && this.timer === timer) {
          const reason = `health check failed ${tally.failures} times: ${errorText(err)}`;
          host.update({ healthy: false, reason });
          host.onFailure?.();
          host.log.warn({ pid: proc.pid, reason }, 'application unhealthy');
        }
      } finally {
        busy = false;
      }
    }, every);
    this.timer = timer;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
