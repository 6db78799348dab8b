import { resolve } from 'node:path';
import type { Agent, Descriptor } from '@vnf-lcm/contracts';
import { restoreRuntimeEnv } from '@vnf-lcm/contracts/agent';
import { refuseUnsafeApp } from './app-policy.js';
import type { AgentEnv } from './assignment.js';
import type { Log } from './log.js';
import type { AppProcess, SpawnOptions } from './process.js';
import { emptyState, HostPaths, StateStore, type AgentState } from './state.js';

/**
 * What the parts of the agent share about this node's application: its recorded state (saved at
 * every change, so that a restarted agent knows what ran), its process, and what every process of
 * it is started with. The parts act one at a time (AppManager's queue), so nothing here is locked.
 */
export class AppHost {
  readonly paths: HostPaths;
  private readonly store: StateStore;
  s: AgentState = emptyState();
  proc?: AppProcess;
  /**
   * Called as soon as the application fails or turns unhealthy on its own, so that the heartbeat
   * goes out at once rather than at the next tick: the VNFM asks for healing on it.
   */
  onFailure?: () => void;

  constructor(
    readonly env: AgentEnv,
    readonly log: Log,
  ) {
    this.paths = new HostPaths(env.workdir);
    this.store = new StateStore(this.paths);
  }

  /** The saved state; an unreadable file is logged and taken as none (the app is then a stray). */
  load(): AgentState {
    try {
      this.s = this.store.load() ?? emptyState();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'agent state unreadable; starting empty');
      this.s = emptyState();
    }
    return this.s;
  }

  update(patch: Partial<AgentState>): void {
    Object.assign(this.s, patch);
    this.save();
  }

  save(): void {
    this.store.save(this.s);
  }

  isLive(): boolean {
    return this.proc?.alive === true && (this.s.state === 'running' || this.s.state === 'starting');
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

  /** only our application's environment holds both */
  marks(): string[] {
    return [`VNF_NODE=${this.env.node}`, `VNF_CONFIG=${this.paths.config}`];
  }

  /** Every process of the application (itself, its reload command) is started with these. */
  spawnOptions(app: Descriptor.AppSpec): SpawnOptions {
    refuseUnsafeApp(app);
    // the bus is the agent's, not the application's: no server address, identity or CA of it;
    // Node.js's variables, which the VIM kept from the agent, are the application's (ADR 30)
    const inherited = Object.fromEntries(Object.entries(restoreRuntimeEnv(process.env)).filter(([k]) => !k.startsWith('NATS_')));
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
}
