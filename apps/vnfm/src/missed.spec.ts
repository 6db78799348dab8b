import { MissedReconfigurations } from './missed.js';

describe('MissedReconfigurations: a node that missed a reconfiguration, told again at its heartbeats', () => {
  test('a noted node is due at once, with its cluster; an unknown one never', () => {
    const m = new MissedReconfigurations();
    m.note('web', 'backend', 'web-backend-1');
    expect(m.due('web-backend-2', 1_000)).toBeUndefined();
    expect(m.due('web-backend-1', 1_000)).toEqual({ vnf: 'web', cluster: 'backend' });
  });

  test('one attempt at a time: not due again while it runs, however many heartbeats come', () => {
    const m = new MissedReconfigurations();
    m.note('web', 'backend', 'n1');
    expect(m.due('n1', 1_000)).toBeDefined();
    expect(m.due('n1', 5_000)).toBeUndefined();
    expect(m.due('n1', 60_000)).toBeUndefined();
  });

  test('an attempt that failed is due again a second after it ended, not before', () => {
    const m = new MissedReconfigurations();
    m.note('web', 'backend', 'n1');
    m.due('n1', 1_000);
    m.told('n1', 2_000);
    expect(m.due('n1', 2_500)).toBeUndefined();
    expect(m.due('n1', 3_000)).toEqual({ vnf: 'web', cluster: 'backend' });
  });

  test('told, or removed: forgotten', () => {
    const m = new MissedReconfigurations();
    m.note('web', 'backend', 'n1');
    m.note('web', 'backend', 'n2');
    m.due('n1', 1_000);
    m.done('n1');
    m.done('n2');
    expect(m.size).toBe(0);
    expect(m.due('n1', 9_000)).toBeUndefined();
  });
});
