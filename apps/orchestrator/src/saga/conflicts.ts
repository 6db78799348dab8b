import { rpcError } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import { ACTIVE } from './lease-rules.js';

// Which requests meet another operation, and how: one operation per VNF at a time, and an
// operator's action only on an operation in the state it needs. Pure, for conflicts.spec.ts.

const { OpState } = Records;

/** What taking a VNF's lock needs to know of the request (see StartRequest). */
export interface LockRequest<P> {
  vnf: string;
  create?: () => Records.VnfRecord;
  plan: (v: Records.VnfRecord) => P;
}

export type LockTry<P> = { next: Records.VnfRecord; params: P } | { heldBy: string } | { absent: true };

/**
 * The lock as taken on the VNF record `v` (undefined: there is none) for operation `id`: the
 * record to write with its parameters, or why not: another operation holds it, or there is no
 * VNF and the request makes none. `plan` runs on this very record, so no operation ends in
 * between, and its throw refuses the request.
 */
export function tryLock<P>(v: Records.VnfRecord | undefined, id: string, req: LockRequest<P>, at: string): LockTry<P> {
  if (v?.activeOp) return { heldBy: v.activeOp };
  if (!v && !req.create) return { absent: true };
  // a deployment again over one that never completed deploys the descriptor it carries now
  const base = !v ? req.create!() : req.create && v.state === 'NOT_INSTANTIATED' ? { ...v, descriptor: req.create().descriptor } : v;
  return { next: { ...base, activeOp: id, updatedAt: at }, params: req.plan(base) };
}

/** The conflict a request meets on a VNF that `holder` (an operation, maybe gone meanwhile) holds. */
export function heldError(vnf: string, holder: string, h: Records.OpRecord | undefined) {
  const details = { op: holder, algorithm: h?.algorithm, state: h?.state };
  if (h?.state === OpState.failedTemp)
    return rpcError('conflict', `vnf ${vnf} waits for an operator: operation ${holder} is FAILED_TEMP; retry, rollback or fail it first`, details);
  return rpcError('conflict', `vnf ${vnf} has a running operation ${holder}`, details);
}

/**
 * What a cancel does to an operation in `state`: one waiting for an operator is rolled back or
 * failed at once; a running one stops at its next step; one rolling back or ended has nothing
 * left to cancel (an undo is never stopped halfway).
 */
export function cancelOutcome(state: Records.OpState): 'now' | 'next-step' | 'nothing' {
  if (state === OpState.failedTemp) return 'now';
  if (ACTIVE.includes(state) && state !== OpState.rollingBack) return 'next-step';
  return 'nothing';
}

/** Refuses an operator's action on an operation that is not in one of the `states` it needs. */
export function mustBeIn(r: Records.OpRecord, states: readonly Records.OpState[], action: string): void {
  if (!states.includes(r.state)) throw rpcError('conflict', `operation ${r.id} is ${r.state}; ${action} needs ${states.join(' or ')}`, { state: r.state });
}
