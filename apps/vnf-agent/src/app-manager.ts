import { rmSync } from 'node:fs';
import { replyError } from '@vnf-lcm/bus/wire';
import type { Agent, Descriptor } from '@vnf-lcm/contracts';
import { recover } from './adoption.js';
import { AppConfig, lost } from './app-config.js';
import { AppHost } from './app-host.js';
import { APP_ROOTS, refuseUnsafeApp } from './app-policy.js';
import type { AgentEnv } from './assignment.js';
import { sameJson } from './files.js';
import { HealthMonitor } from './health-monitor.js';
import { Launcher } from './launcher.js';
import type { Log } from './log.js';
import { emptyState, type AgentState, type HostPaths } from './state.js';

/**
 * What a create request does, given what the node holds: to a live application only its members
 * and endpoints (reloaded if they changed; another spec is not applied to it), else the spec is
 * recorded: as it was when it is the same (state and start count kept), as a new application
 * (state created) when it is not.
 */
export type CreateStep = { kind: 'config-only'; otherSpec: boolean; reload: boolean } | { kind: 'same' } | { kind: 'new' };

export function createStep(s: AgentState, p: Agent.AppCreate, live: boolean): CreateStep {
  const same = s.state !== 'absent' && s.vnf === p.vnf && s.cluster === p.cluster && sameJson(s.app, p.app) && sameJson(s.health, p.health);
  if (live) return { kind: 'config-only', otherSpec: !same, reload: !sameJson(s.members, p.members) || !sameJson(s.endpoints, p.endpoints) };
  return { kind: same ? 'same' : 'new' };
}

/**
 * The application on this node, as the requests see it. Requests that change anything run one at
 * a time, and each is idempotent: a repeated request answers with the current status instead of
 * acting twice. The work is the parts': the launcher (start, health wait, stop), the health
 * monitor, the config file, adoption on restart (adoption.ts), the saved state (AppHost).
 */
export class AppManager {
  private readonly host: AppHost;
  private readonly config: AppConfig;
  private readonly launcher: Launcher;
  private queue: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;

  constructor(env: AgentEnv, log: Log) {
    const host = (this.host = new AppHost(env, log));
    for (const { root, reason } of APP_ROOTS.ignored) log.warn({ root, reason }, 'VNF_APP_ROOTS entry ignored');
    const monitor = new HealthMonitor(host);
    this.config = new AppConfig(host);
    this.launcher = new Launcher(host, this.config, monitor);
    const unfinished = recover(host, monitor);
    // a start the previous agent did not see through: finished before any request runs
    if (unfinished) this.serial(this.launcher.resume(unfinished, host.s.app!, 'none')).catch(() => undefined);
  }

  get paths(): HostPaths {
    return this.host.paths;
  }

  /** see AppHost.onFailure: the heartbeat's hook */
  get onFailure(): (() => void) | undefined {
    return this.host.onFailure;
  }

  set onFailure(fn: (() => void) | undefined) {
    this.host.onFailure = fn;
  }

  status(): Agent.Status {
    return this.host.status();
  }

  create(p: Agent.AppCreate, op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      // before anything is recorded: a refused spec leaves the node as it was
      refuseUnsafeApp(p.app);
      const s = this.host.s;
      const step = createStep(s, p, this.host.isLive());
      if (step.kind === 'config-only') {
        if (step.otherSpec) this.host.log.warn({ op }, 'application is running with another spec; only its config is updated');
        Object.assign(s, { members: p.members, endpoints: p.endpoints });
        await this.config.apply(op, step.reload);
        return this.status();
      }
      Object.assign(s, { vnf: p.vnf, cluster: p.cluster, app: p.app, health: p.health, members: p.members, endpoints: p.endpoints });
      if (step.kind === 'new') Object.assign(s, { state: 'created', starts: 0, reason: undefined, healthy: undefined });
      this.config.write();
      this.host.save();
      if (step.kind === 'new') this.host.log.info({ op, vnf: p.vnf, cluster: p.cluster, version: p.app.version }, 'application created');
      return this.status();
    });
  }

  start(op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      const app = this.host.s.app;
      if (!app || this.host.s.state === 'absent') throw replyError('conflict', 'no application created on this node');
      if (this.host.isLive()) return this.status();
      await this.launcher.launch(app, op);
      return this.status();
    });
  }

  stop(op: string): Promise<Agent.Status> {
    this.launcher.cancel();
    return this.serial(async () => {
      await this.launcher.halt(op);
      return this.status();
    });
  }

  destroy(op: string): Promise<Agent.Status> {
    this.launcher.cancel();
    return this.serial(async () => {
      await this.launcher.halt(op);
      rmSync(this.paths.appDir, { recursive: true, force: true });
      const had = this.host.s.state !== 'absent';
      this.host.s = emptyState();
      this.host.save();
      if (had) this.host.log.info({ op }, 'application destroyed');
      return this.status();
    });
  }

  reconfigureCluster(members: Descriptor.Endpoint[], op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      const dropped = lost(this.host.s.members, members);
      this.host.s.members = members;
      await this.config.apply(op, true, dropped);
      this.host.log.info({ op, members: members.map((m) => m.node) }, 'cluster reconfigured');
      return this.status();
    });
  }

  reconfigureClient(provider: string, endpoints: Descriptor.Endpoint[], op: string): Promise<Agent.Status> {
    return this.serial(async () => {
      const s = this.host.s;
      const dropped = lost(s.endpoints[provider] ?? [], endpoints);
      s.endpoints = { ...s.endpoints, [provider]: endpoints };
      await this.config.apply(op, true, dropped);
      this.host.log.info({ op, provider, endpoints: endpoints.map((e) => e.node) }, 'client reconfigured');
      return this.status();
    });
  }

  /** Stop the application for good (the host is going away); safe to call more than once. */
  shutdown(op = 'none'): Promise<void> {
    this.launcher.cancel();
    return (this.closing ??= this.serial(() => this.launcher.halt(op)));
  }

  /** one request at a time; a failed one does not stop the next */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
