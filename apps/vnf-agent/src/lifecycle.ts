import type { NatsConnection } from '@nats-io/transport-node';
import type { AppManager } from './app-manager.js';
import type { HeartbeatPublisher } from './heartbeat.js';
import type { Log } from './log.js';

/** How long the shutdown reply gets to leave before the connection closes. */
const REPLY_FLUSH_MS = 50;
/** and how long what else was written gets (a connection waiting for NATS would wait forever) */
const DRAIN_MS = 1_000;

/** The agent's own end: stop heartbeats and the application, then the process. */
export class AgentLifecycle {
  heartbeat?: HeartbeatPublisher;
  nc?: NatsConnection;
  private exiting?: Promise<never>;

  constructor(
    private readonly apps: AppManager,
    private readonly log: Log,
  ) {}

  /** safe to call more than once, from the shutdown request and signals */
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
        const nc = this.nc;
        if (nc && !nc.isClosed()) await Promise.race([nc.drain().catch(() => undefined), new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
        if (nc && !nc.isClosed()) await nc.close();
        this.log.info('agent stopped');
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'unclean close');
      }
      process.exit(0);
    })());
  }
}
