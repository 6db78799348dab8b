import type { Descriptor } from '@vnf-lcm/contracts';
import { versionsAfter, vnfStateAfter } from './vnf-book.js';

const v = (version: string): Descriptor.AppSpec => ({ version, command: 'node', port: 8080 });
const spec = (app: Descriptor.AppSpec, versions?: Descriptor.AppSpec[]): Descriptor.ClusterSpec => ({
  name: 'backend',
  nodes: 2,
  app,
  ...(versions ? { versions } : {}),
});

test('after an upgrade the version it replaced comes first among those to go back to', () => {
  expect(versionsAfter(spec(v('v1'), [v('v2')]), v('v2'), v('v1'))).toEqual([v('v1')]);
  expect(versionsAfter(spec(v('v2'), [v('v1'), v('v3')]), v('v3'), v('v2'))).toEqual([v('v2'), v('v1')]);
  // a new version the request carried: nothing of the cluster's is lost
  expect(versionsAfter(spec(v('v1')), v('v9'), v('v1'))).toEqual([v('v1')]);
});

test('the version a cluster runs is never also one to go back to (an upgrade back to an older one)', () => {
  expect(versionsAfter(spec(v('v2'), [v('v1')]), v('v1'), v('v2'))).toEqual([v('v2')]);
});

test('only a completed deployment or terminate changes what a VNF is', () => {
  expect(vnfStateAfter('deployment', 'COMPLETED', 'NOT_INSTANTIATED')).toBe('INSTANTIATED');
  expect(vnfStateAfter('terminate', 'COMPLETED', 'INSTANTIATED')).toBe('NOT_INSTANTIATED');
  expect(vnfStateAfter('upgrade', 'COMPLETED', 'INSTANTIATED')).toBe('INSTANTIATED');
  // undone or failed: as it was (a deployment rolled back is deleted apart)
  expect(vnfStateAfter('deployment', 'ROLLED_BACK', 'NOT_INSTANTIATED')).toBe('NOT_INSTANTIATED');
  expect(vnfStateAfter('terminate', 'FAILED', 'INSTANTIATED')).toBe('INSTANTIATED');
  expect(vnfStateAfter('terminate', 'ROLLED_BACK', 'INSTANTIATED')).toBe('INSTANTIATED');
});
