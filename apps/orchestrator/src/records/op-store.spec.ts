import type { Records } from '@vnf-lcm/contracts';
import { pageCut } from './op-store.js';

const step = (i: number, pad = 0): Records.StepRecord => ({ key: `k${i}`, label: 'x'.repeat(pad), at: '2026-01-01T00:00:00.000Z' });
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('pageCut', () => {
  test('0 while the steps fit in a page', () => {
    expect(pageCut([], 100)).toBe(0);
    const steps = [step(1), step(2)];
    expect(pageCut(steps, bytes(steps))).toBe(0);
  });

  test('as many as fit once they do not, each page within the bytes', () => {
    const steps = Array.from({ length: 100 }, (_, i) => step(i, 50));
    const cut = pageCut(steps, 1024);
    expect(cut).toBeGreaterThan(0);
    expect(bytes(steps.slice(0, cut))).toBeLessThanOrEqual(1024);
    expect(bytes(steps.slice(0, cut + 1))).toBeGreaterThan(1024);
  });

  test('a step bigger than a page gets a page of its own', () => {
    expect(pageCut([step(1, 5000), step(2)], 1024)).toBe(1);
  });
});
