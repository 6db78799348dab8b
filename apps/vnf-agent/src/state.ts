import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent, Descriptor } from '@vnf-lcm/contracts';
import { writeJsonAtomic } from './files.js';

/** Everything the agent must remember across its own restarts. */
export interface AgentState {
  vnf?: string;
  cluster?: string;
  app?: Descriptor.AppSpec;
  health?: Descriptor.HealthCheck;
  members: Descriptor.Endpoint[];
  endpoints: Record<string, Descriptor.Endpoint[]>;
  state: Agent.AppState;
  pid?: number;
  reason?: string;
  healthy?: boolean;
  /** how many times the application was started since it was created */
  starts: number;
  /** of the last config written (AppConfig.generation) */
  generation?: number;
}

export const emptyState = (): AgentState => ({ members: [], endpoints: {}, state: 'absent', starts: 0 });

/** The folders and files of one virtual host; the agent owns the whole workdir. */
export class HostPaths {
  readonly state: string;
  readonly appDir: string;
  readonly config: string;
  readonly appLog: string;

  constructor(readonly workdir: string) {
    this.state = join(workdir, 'agent-state.json');
    this.appDir = join(workdir, 'app');
    this.config = join(this.appDir, 'config.json');
    this.appLog = join(this.appDir, 'app.log');
  }
}

export class StateStore {
  constructor(private readonly paths: HostPaths) {
    // the container user's alone where the agent makes it (in a container's /tmp, ADR 36)
    mkdirSync(paths.workdir, { recursive: true, mode: 0o700 });
  }

  /** undefined when there is no state yet; throws when the file is unreadable */
  load(): AgentState | undefined {
    if (!existsSync(this.paths.state)) return undefined;
    return { ...emptyState(), ...(JSON.parse(readFileSync(this.paths.state, 'utf8')) as Partial<AgentState>) };
  }

  /** without the fields that are unset, so that the file says only what is known */
  save(s: AgentState): void {
    writeJsonAtomic(this.paths.state, Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)));
  }
}
