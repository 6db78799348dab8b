import type { Logger, RunningService } from '@vnf-lcm/bus';
import type { AppManager } from './app-manager.js';
import type { HeartbeatPublisher } from './heartbeat.js';

/** How long the shutdown reply gets to leave before the connection closes. */
const REPLY_FLUSH_MS = 50;

/** The agent's own end: stop heartbeats and the application, then the process. */
export class AgentLifecycle {
  heartbeat?: HeartbeatPublisher;
  service?: RunningService;
  private exiting?: Promise<never>;

  constructor(
    private readonly apps: AppManager,
    private readonly log: Logger,
  ) {}

  /** safe to call more than once, from the shutdown request, signals and Nest's hooks */
  async stopApp(op?: string): Promise<void> {
    this.heartbeat?.stop();
    await this.apps.shutdown(op);
  }

  /** After the shutdown request's reply is on its way: close the connection and exit 0. */
  exitSoon(): void {
    setTimeout(() => void this.exit(), REPLY_FLUSH_MS);
  }

  /** Stop everything and exit 0; every caller after the first waits for the same end. */
  exit(): Promise<never> {
    return (this.exiting ??= (async () => {
      try {
        await this.stopApp();
        if (this.service && !this.service.nc.isClosed()) await this.service.nc.flush();
        await this.service?.close();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'unclean close');
      }
      process.exit(0);
    })());
  }
}
