import { Records } from '@vnf-lcm/contracts';
import { LEASE_MS, leasedTo, orphaned, resumeMode } from './lease-rules.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const op = (state: Records.OpState, leaseUntil?: number): Records.OpRecord => ({
  id: 'op-1',
  vnf: 'web',
  algorithm: 'upgrade',
  params: {},
  requestedBy: 'DevOps',
  state,
  steps: [],
  startedAt: new Date(T0).toISOString(),
  owner: 'ao-a',
  leaseUntil,
});

test('an active operation is up for grabs once its lease ran out, not a moment before', () => {
  expect(orphaned(op('PROCESSING', T0), T0 - 1)).toBe(false);
  expect(orphaned(op('PROCESSING', T0), T0)).toBe(true);
  expect(orphaned(op('STARTING', T0), T0 + 1)).toBe(true);
  expect(orphaned(op('ROLLING_BACK', T0), T0 + 1)).toBe(true);
  // a record written without a lease (by an older orchestrator) is taken over at once
  expect(orphaned(op('PROCESSING'), T0)).toBe(true);
});

test('an operation that waits for an operator or ended holds no lease: no scan takes it', () => {
  for (const state of ['FAILED_TEMP', 'COMPLETED', 'ROLLED_BACK', 'FAILED'] as const) expect(orphaned(op(state, T0 - 60_000), T0)).toBe(false);
});

test('a claim names the new owner and holds for LEASE_MS from the moment it is made', () => {
  const r = leasedTo(op('PROCESSING', T0), 'ao-b', T0 + 5_000);
  expect(r).toMatchObject({ owner: 'ao-b', leaseUntil: T0 + 5_000 + LEASE_MS, state: 'PROCESSING', steps: [] });
  expect(orphaned(r, T0 + 5_000 + LEASE_MS - 1)).toBe(false);
});

test('a taken-over operation that was rolling back goes on undoing; any other goes on running', () => {
  expect(resumeMode(op('ROLLING_BACK'))).toBe('rollback');
  expect(resumeMode(op('PROCESSING'))).toBe('run');
  expect(resumeMode(op('STARTING'))).toBe('run');
});
