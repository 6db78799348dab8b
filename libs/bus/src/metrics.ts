import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';
import type { Logger } from './log.js';

/**
 * Each service's Prometheus endpoint (`GET /metrics`, text exposition), on 127.0.0.1 unless
 * VNF_METRICS_ADDRESS says otherwise: metrics tell the shape of the system, so they are not
 * offered to the network unasked. VNF_METRICS_PORT overrides the service's port; 0 turns it off.
 */
export const MetricsPort = { orchestrator: 9464, vnfm: 9465, 'vim-adapter': 9466 } as const;
export const METRICS_ADDRESS = '127.0.0.1';
export const METRICS_PATH = '/metrics';

/** Every request a service answered, by subject and outcome: measured where they are dispatched. */
const requests = new Histogram({
  name: 'vnf_bus_request_duration_seconds',
  help: 'Requests answered by this service, by subject and outcome, and how long each took',
  labelNames: ['subject', 'outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
});

export function observeRequest(subject: string, startedNs: bigint, failed: boolean): void {
  requests.observe({ subject, outcome: failed ? 'error' : 'ok' }, Number(process.hrtime.bigint() - startedNs) / 1e9);
}

let defaults = false;

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Where a service's metrics are served, from its environment; undefined: not served. */
export function metricsListen(service: string, env: NodeJS.ProcessEnv = process.env): { port: number; address: string } | undefined {
  const raw = env.VNF_METRICS_PORT;
  const port = raw === undefined || raw === '' ? MetricsPort[service as keyof typeof MetricsPort] : Number(raw);
  if (port === undefined || port === 0) return undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`VNF_METRICS_PORT ${raw} is not a port (0-65535, 0 = off)`);
  return { port, address: env.VNF_METRICS_ADDRESS || METRICS_ADDRESS };
}

/**
 * Serves the process's metrics (its own and Node's default ones, labelled with the service).
 * A port that cannot be had (taken by another instance on this host) or a bad setting is logged
 * and leaves the service running without metrics: they are for watching it, not for running it.
 */
export async function startMetrics(service: string, log: Logger): Promise<MetricsServer | undefined> {
  let at: ReturnType<typeof metricsListen>;
  try {
    at = metricsListen(service);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'metrics not served');
    return undefined;
  }
  if (!at) {
    log.info('metrics off');
    return undefined;
  }
  register.setDefaultLabels({ service });
  // once per process: a second registration of the same metrics throws
  if (!defaults) collectDefaultMetrics();
  defaults = true;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`only GET ${METRICS_PATH} here\n`);
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  try {
    await listen(server, at.port, at.address);
  } catch (err) {
    log.warn({ port: at.port, address: at.address, err: (err as Error).message }, 'metrics not served');
    return undefined;
  }
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}${METRICS_PATH}`;
  log.info({ url }, 'metrics served');
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // a scraper's kept-alive connection would hold the close open
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
