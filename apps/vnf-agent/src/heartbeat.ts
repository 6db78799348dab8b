import type { NatsConnection } from '@nats-io/transport-node';
import * as Agent from '@vnf-lcm/contracts/agent';
import type { AppManager } from './app-manager.js';
import type { AgentEnv } from './assignment.js';
import type { Log } from './log.js';
import { errorText, readMetrics } from './probe.js';

const METRICS_EVERY_MS = 1000;

/**
 * Hello once, then the application's state every VNF_HEARTBEAT_MS: what the VNFM watches. A
 * failure of the application (an exit nobody asked for, a failing health check) goes out at once,
 * without waiting for the next beat.
 */
export class HeartbeatPublisher {
  private timer?: NodeJS.Timeout;
  private metrics?: Record<string, number>;
  private lastPoll = 0;
  private polling = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly apps: AppManager,
    private readonly env: AgentEnv,
    private readonly log: Log,
  ) {}

  start(): void {
    const hello: Agent.Hello = { node: this.env.node, address: this.env.address, pid: process.pid };
    this.publish(Agent.hello(this.env.node), hello);
    this.log.info({ address: this.env.address, pid: process.pid }, 'agent ready');
    this.beat();
    this.timer = setInterval(() => this.beat(), this.env.heartbeatMs);
    this.apps.onFailure = () => {
      if (this.timer) this.beat();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.apps.onFailure = undefined;
  }

  private beat(): void {
    const st = this.apps.status();
    if (st.app.state === 'running' && st.app.port !== undefined) this.pollMetrics(st.app.port);
    else this.metrics = undefined;
    const hb: Agent.Heartbeat = { node: st.node, app: st.app, ts: new Date().toISOString() };
    if (st.vnf) hb.vnf = st.vnf;
    if (st.cluster) hb.cluster = st.cluster;
    if (this.metrics) hb.metrics = this.metrics;
    this.publish(Agent.heartbeat(this.env.node), hb);
  }

  /** at most once a second, in the background: a slow app must not delay the heartbeat */
  private pollMetrics(port: number): void {
    const now = Date.now();
    if (this.polling || now - this.lastPoll < METRICS_EVERY_MS) return;
    this.polling = true;
    this.lastPoll = now;
    readMetrics(this.env.address, port, METRICS_EVERY_MS)
      .then((m) => (this.metrics = m && Object.keys(m).length > 0 ? m : undefined))
      .catch((err) => {
        this.metrics = undefined;
        this.log.debug({ err: errorText(err) }, 'no metrics from the application');
      })
      .finally(() => (this.polling = false));
  }

  private publish(subject: string, body: unknown): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(subject, JSON.stringify(body));
    } catch (err) {
      this.log.debug({ subject, err: errorText(err) }, 'publish failed');
    }
  }
}
