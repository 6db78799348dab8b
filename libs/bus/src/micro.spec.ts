import type { NatsConnection } from '@nats-io/transport-node';
import { discoverySubjects, MicroService, MicroType, MicroVerb, projectVersion, requestEndpoints } from './micro.js';

// the unit under test never touches its connection unless started (the integration test
// test/discovery-metrics.test.ts asks real services over a real nats-server)
const noConnection = undefined as unknown as NatsConnection;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function service(
  endpoints = [
    { subject: 'vnf.ao.deploy', queue: 'orchestrator' },
    { subject: 'vnf.ao.op-get', queue: 'orchestrator' },
  ],
) {
  return new MicroService(noConnection, {
    name: 'orchestrator',
    version: '1.2.3',
    description: 'vnf-lcm AO',
    metadata: { pid: '1' },
    endpoints: () => endpoints,
  });
}

describe('micro (NATS ADR-32) responder', () => {
  test('answers on the verb, the verb and name, and the verb, name and id', () => {
    const s = service();
    expect(discoverySubjects(MicroVerb.info, 'vnfm', s.id)).toEqual(['$SRV.INFO', '$SRV.INFO.vnfm', `$SRV.INFO.vnfm.${s.id}`]);
    expect(s.id).toMatch(/^[A-Za-z0-9]{16,}$/);
    expect(service().id).not.toBe(s.id);
  });

  test('ping and info carry the standard fields, and every endpoint with its queue group', () => {
    const s = service();
    expect(s.ping()).toEqual({ type: MicroType.ping, name: 'orchestrator', id: s.id, version: '1.2.3', metadata: { pid: '1' } });
    const info = s.info();
    expect(info).toMatchObject({ type: 'io.nats.micro.v1.info_response', name: 'orchestrator', description: 'vnf-lcm AO' });
    expect(info.endpoints).toEqual([
      { name: 'vnf_ao_deploy', subject: 'vnf.ao.deploy', queue_group: 'orchestrator', metadata: null },
      { name: 'vnf_ao_op-get', subject: 'vnf.ao.op-get', queue_group: 'orchestrator', metadata: null },
    ]);
    for (const e of info.endpoints) expect(e.name).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('stats count requests, errors and nanoseconds per endpoint; the last error is kept', () => {
    const s = service();
    const before = s.stats();
    expect(before.type).toBe(MicroType.stats);
    expect(Date.parse(before.started)).toBeLessThanOrEqual(Date.now());
    expect(before.endpoints[0]).toMatchObject({ num_requests: 0, num_errors: 0, last_error: '', processing_time: 0, average_processing_time: 0 });
    const t = process.hrtime.bigint() - 3_000_000n;
    s.record('vnf.ao.deploy', t);
    s.record('vnf.ao.deploy', t, { err_code: 'conflict', description: 'vnf web is busy' });
    s.record('vnf.ao.deploy', t, { err_code: 'invalid_request', description: 'name is missing' });
    const [deploy, get] = s.stats().endpoints;
    expect(deploy).toMatchObject({ name: 'vnf_ao_deploy', subject: 'vnf.ao.deploy', queue_group: 'orchestrator', num_requests: 3, num_errors: 2 });
    expect(deploy.last_error).toBe('invalid_request: name is missing');
    expect(deploy.processing_time).toBeGreaterThanOrEqual(9_000_000);
    expect(Number.isInteger(deploy.average_processing_time)).toBe(true);
    expect(deploy.average_processing_time).toBe(Math.trunc(deploy.processing_time / 3));
    expect(get).toMatchObject({ num_requests: 0, num_errors: 0 });
  });

  test('a name outside [A-Za-z0-9_-] is refused at once', () => {
    expect(() => new MicroService(noConnection, { name: 'vnf-agent/web-1', version: '1.0.0', endpoints: () => [] })).toThrow(/not \[A-Za-z0-9_-\]\+/);
  });

  test("the endpoints are the transport's request handlers, not its event handlers", () => {
    const handlers = new Map<string, { isEventHandler?: boolean; extras?: { queue?: string } }>([
      ['vnf.vnfm.cluster-get', { isEventHandler: false }],
      ['vnf.agent.hello.*', { isEventHandler: true }],
      ['vnf.vnfm.app-activate', { isEventHandler: false, extras: { queue: 'special' } }],
    ]);
    expect(requestEndpoints(handlers, 'vnfm')).toEqual([
      { subject: 'vnf.vnfm.app-activate', queue: 'special' },
      { subject: 'vnf.vnfm.cluster-get', queue: 'vnfm' },
    ]);
    expect(requestEndpoints(handlers)[1]).toEqual({ subject: 'vnf.vnfm.cluster-get', queue: undefined });
  });

  test("the version is the project's, a semantic version", () => {
    expect(projectVersion()).toMatch(SEMVER);
  });
});
