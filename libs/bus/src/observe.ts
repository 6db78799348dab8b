import type { NatsConnection } from '@nats-io/transport-node';
import type { ErrorBody } from '@vnf-lcm/contracts';
import type { Logger } from './log.js';
import type { MetricsServer } from './metrics.js';
import { MicroService, processMetadata, projectVersion, requestEndpoints } from './micro.js';
import type { PlainJsonNatsServer } from './server.js';

/**
 * What a service shows of itself (ARCHITECTURE, Observability): `$SRV.PING|INFO|STATS` for
 * `nats micro ls` (NATS ADR-32) and GET /metrics for Prometheus, both counting the requests
 * the transport answers. runService makes one, unless the service says `observe: false`.
 */
export class Observation {
  private micro?: MicroService;
  private metrics?: MetricsServer;
  // loaded only by the services that serve metrics: an agent starts without prom-client
  private readonly lib = import('./metrics.js');
  private observeRequest?: (subject: string, startedNs: bigint, failed: boolean) => void;

  constructor(
    private readonly name: string,
    private readonly description: string,
    private readonly log: Logger,
  ) {}

  /** for PlainJsonNatsServer's `answered`: one request answered */
  readonly answered = (subject: string, startedNs: bigint, error?: ErrorBody): void => {
    this.micro?.record(subject, startedNs, error);
    this.observeRequest?.(subject, startedNs, !!error);
  };

  /** Once the transport has subscribed: its request subjects are the endpoints. */
  async start(nc: NatsConnection, server: PlainJsonNatsServer, queue?: string): Promise<void> {
    const lib = await this.lib;
    this.observeRequest = lib.observeRequest;
    const endpoints = () => requestEndpoints(server.getHandlers(), queue);
    this.micro = new MicroService(nc, {
      name: this.name,
      version: projectVersion(),
      description: this.description,
      metadata: processMetadata(this.name),
      endpoints,
    }).start();
    this.metrics = await lib.startMetrics(this.name, this.log);
  }

  async stop(): Promise<void> {
    this.micro?.stop();
    await this.metrics?.close();
  }
}
