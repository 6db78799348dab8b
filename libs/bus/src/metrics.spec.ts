import { createServer } from 'node:net';
import { pino } from 'pino';
import { sample } from '../../../test/support/prometheus.js';
import { metricsListen, MetricsPort, observeRequest, startMetrics } from './metrics.js';

const log = pino({ level: 'silent' });
// this spec's own loopback address (octet 65), so that parallel test files never share a port
const ADDRESS = '127.0.65.250';

describe('metrics endpoint settings', () => {
  test('each service has its documented port on 127.0.0.1; others have none', () => {
    expect(metricsListen('orchestrator', {})).toEqual({ port: MetricsPort.orchestrator, address: '127.0.0.1' });
    expect(metricsListen('vnfm', {})).toEqual({ port: 9465, address: '127.0.0.1' });
    expect(metricsListen('vim-adapter', {})).toEqual({ port: 9466, address: '127.0.0.1' });
    expect(metricsListen('vnf-agent/web-1', {})).toBeUndefined();
  });

  test('VNF_METRICS_PORT and VNF_METRICS_ADDRESS override; 0 turns metrics off; a bad port is refused', () => {
    expect(metricsListen('vnfm', { VNF_METRICS_PORT: '19000', VNF_METRICS_ADDRESS: '0.0.0.0' })).toEqual({ port: 19000, address: '0.0.0.0' });
    expect(metricsListen('vnfm', { VNF_METRICS_PORT: '0' })).toBeUndefined();
    expect(() => metricsListen('vnfm', { VNF_METRICS_PORT: 'http' })).toThrow(/VNF_METRICS_PORT http is not a port/);
    expect(() => metricsListen('vnfm', { VNF_METRICS_PORT: '70000' })).toThrow(/not a port/);
  });
});

describe('metrics endpoint', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  test('serves the Prometheus text format on GET /metrics, and only there', async () => {
    process.env.VNF_METRICS_ADDRESS = ADDRESS;
    process.env.VNF_METRICS_PORT = '19464';
    const m = await startMetrics('orchestrator', log);
    try {
      expect(m?.url).toBe(`http://${ADDRESS}:19464/metrics`);
      observeRequest('vnf.ao.deploy', process.hrtime.bigint(), false);
      const r = await fetch(m!.url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      expect(sample(text, 'vnf_bus_request_duration_seconds_count', { subject: 'vnf.ao.deploy', outcome: 'ok', service: 'orchestrator' })).toBe(1);
      // Node's default process metrics
      expect(sample(text, 'process_cpu_user_seconds_total', { service: 'orchestrator' })).toBeGreaterThan(0);
      expect((await fetch(m!.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await m?.close();
    }
  });

  test('a port already taken leaves the service without metrics, not stopped', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(19465, ADDRESS, r));
    process.env.VNF_METRICS_ADDRESS = ADDRESS;
    process.env.VNF_METRICS_PORT = '19465';
    try {
      expect(await startMetrics('vnfm', log)).toBeUndefined();
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
