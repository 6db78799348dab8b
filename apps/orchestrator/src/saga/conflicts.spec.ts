import { toErrorBody } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import { cancelOutcome, heldError, mustBeIn, tryLock } from './conflicts.js';

const AT = '2030-01-01T00:00:00.000Z';
const descriptor = (version: string) =>
  ({ name: 'web', clusters: [{ name: 'backend', nodes: 1, app: { version, command: 'node', port: 8080 } }] }) as Records.VnfRecord['descriptor'];
const vnf = (o: Partial<Records.VnfRecord> = {}): Records.VnfRecord => ({
  name: 'web',
  descriptor: descriptor('v1'),
  state: 'INSTANTIATED',
  nodes: {},
  nextSeq: {},
  updatedAt: '2029-01-01T00:00:00.000Z',
  ...o,
});
const plan = (v: Records.VnfRecord) => ({ version: v.descriptor.clusters[0].app.version });

test('a VNF held by an operation is not locked again, whatever the request', () => {
  expect(tryLock(vnf({ activeOp: 'op-1' }), 'op-2', { vnf: 'web', plan }, AT)).toEqual({ heldBy: 'op-1' });
  expect(tryLock(vnf({ activeOp: 'op-1', state: 'NOT_INSTANTIATED' }), 'op-2', { vnf: 'web', plan, create: () => vnf() }, AT)).toEqual({ heldBy: 'op-1' });
});

test('a free VNF is locked for the operation, with the parameters planned on that very record', () => {
  const t = tryLock(vnf(), 'op-2', { vnf: 'web', plan }, AT);
  expect(t).toEqual({ next: { ...vnf(), activeOp: 'op-2', updatedAt: AT }, params: { version: 'v1' } });
});

test('no VNF: only a request that makes one (deployment) locks it, planned on the record it makes', () => {
  expect(tryLock(undefined, 'op-2', { vnf: 'web', plan }, AT)).toEqual({ absent: true });
  const made = vnf({ state: 'NOT_INSTANTIATED', descriptor: descriptor('v2') });
  expect(tryLock(undefined, 'op-2', { vnf: 'web', plan, create: () => made }, AT)).toEqual({
    next: { ...made, activeOp: 'op-2', updatedAt: AT },
    params: { version: 'v2' },
  });
});

test('a deployment over one that never completed takes the descriptor it carries now; over a deployed one it keeps the record', () => {
  const create = () => vnf({ state: 'NOT_INSTANTIATED', descriptor: descriptor('v2') });
  const stale = vnf({ state: 'NOT_INSTANTIATED', nextSeq: { backend: 3 } });
  const t = tryLock(stale, 'op-2', { vnf: 'web', plan, create }, AT);
  expect(t).toMatchObject({ next: { descriptor: descriptor('v2'), nextSeq: { backend: 3 }, activeOp: 'op-2' }, params: { version: 'v2' } });
  expect(tryLock(vnf(), 'op-2', { vnf: 'web', plan, create }, AT)).toMatchObject({ next: { descriptor: descriptor('v1') } });
});

test('a plan that refuses leaves the VNF unlocked: its error is the answer', () => {
  const refuse = () => {
    throw new Error('no');
  };
  expect(() => tryLock(vnf(), 'op-2', { vnf: 'web', plan: refuse }, AT)).toThrow('no');
});

test('the conflict says whether the holder runs or waits for an operator', () => {
  const running = toErrorBody(heldError('web', 'op-1', { state: 'PROCESSING', algorithm: 'upgrade' } as Records.OpRecord));
  expect(running).toMatchObject({
    err_code: 'conflict',
    description: 'vnf web has a running operation op-1',
    details: { op: 'op-1', algorithm: 'upgrade', state: 'PROCESSING' },
  });
  const waiting = toErrorBody(heldError('web', 'op-1', { state: 'FAILED_TEMP', algorithm: 'healing' } as Records.OpRecord));
  expect(waiting.description).toMatch(/waits for an operator: operation op-1 is FAILED_TEMP/);
  // its record gone meanwhile: still a conflict, with what is known
  expect(toErrorBody(heldError('web', 'op-1', undefined))).toMatchObject({ err_code: 'conflict', details: { op: 'op-1' } });
});

test('a cancel acts at once on FAILED_TEMP, at the next step of a running operation, never on an undo or an ended one', () => {
  expect(cancelOutcome('FAILED_TEMP')).toBe('now');
  expect(cancelOutcome('STARTING')).toBe('next-step');
  expect(cancelOutcome('PROCESSING')).toBe('next-step');
  for (const s of ['ROLLING_BACK', 'COMPLETED', 'ROLLED_BACK', 'FAILED'] as const) expect(cancelOutcome(s)).toBe('nothing');
});

test('retry, rollback and fail need FAILED_TEMP, and say what they found instead', () => {
  const r = { id: 'op-1', state: 'PROCESSING' } as Records.OpRecord;
  expect(() => mustBeIn({ ...r, state: 'FAILED_TEMP' }, ['FAILED_TEMP'], 'retry')).not.toThrow();
  let err: unknown;
  try {
    mustBeIn(r, ['FAILED_TEMP'], 'retry');
  } catch (e) {
    err = e;
  }
  expect(toErrorBody(err)).toMatchObject({
    err_code: 'conflict',
    description: 'operation op-1 is PROCESSING; retry needs FAILED_TEMP',
    details: { state: 'PROCESSING' },
  });
});
