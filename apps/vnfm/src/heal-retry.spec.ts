import type { ClusterState } from './cluster.store.js';
import { leaving, RETRY, retryInMs } from './heal-retry.js';

describe('asking again for a refused healing', () => {
  test('waits double at each refusal in a row while another operation runs, up to the most', () => {
    const busy = { err_code: 'conflict', holder: 'scale-out', why: 'conflict: vnf web has a running operation x' };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryInMs(busy, n))).toEqual([1000, 2000, 4000, 8000, RETRY.maxMs, RETRY.maxMs]);
  });

  test('waits long for a VNF being terminated or terminated, and for a node the AO does not know', () => {
    expect(retryInMs({ err_code: 'conflict', holder: 'terminate', why: 'conflict: vnf web has a running operation x' }, 1)).toBe(RETRY.goingMs);
    expect(retryInMs({ err_code: 'conflict', why: 'conflict: vnf web is not instantiated: not deployed yet, or terminated' }, 1)).toBe(RETRY.goingMs);
    expect(retryInMs({ err_code: 'not_found', why: 'not_found: unknown node web-x-1 of web' }, 1)).toBe(RETRY.goingMs);
  });

  test('a request that got no answer is asked again soon', () => {
    expect(retryInMs({ why: 'TIMEOUT' }, 1)).toBe(RETRY.firstMs);
  });
});

describe('a node being removed', () => {
  const c = (members: string[], leaves?: { step: string; node: string }[]) => ({ members, leaves }) as unknown as ClusterState;

  test('is one that left the membership through a scale-in', () => {
    expect(leaving(c(['web-b-1'], [{ step: 'op/b/2/leave', node: 'web-b-2' }]), 'web-b-2')).toBe(true);
  });

  test('is not a member, nor a new node that has not joined yet', () => {
    expect(leaving(c(['web-b-1', 'web-b-2'], [{ step: 's', node: 'web-b-2' }]), 'web-b-2')).toBe(false);
    expect(leaving(c(['web-b-1']), 'web-b-3')).toBe(false);
  });
});
