import { Records } from '@vnf-lcm/contracts';
import type { OpHandle } from '../records/op-handle.js';

// The rules of the leases orchestrators hold on the operations they drive (ADR 6): pure, so
// that a spec can say when an operation is up for grabs.

const { OpState } = Records;

/** How long an orchestrator's claim on an operation holds without renewal (env AO_LEASE_MS). */
export const LEASE_MS = Number(process.env.AO_LEASE_MS ?? 3000);

/** the states in which an operation is driven by some orchestrator, and holds a lease */
export const ACTIVE: readonly Records.OpState[] = [OpState.starting, OpState.processing, OpState.rollingBack];

/** An active operation whose lease ran out at `nowMs`: its orchestrator is gone, any other may take it. */
export function orphaned(r: Pick<Records.OpRecord, 'state' | 'leaseUntil'>, nowMs: number): boolean {
  return ACTIVE.includes(r.state) && (r.leaseUntil ?? 0) <= nowMs;
}

/** The record as a claim writes it: `owner` drives the operation for LEASE_MS from `nowMs`. */
export function leasedTo(r: Records.OpRecord, owner: string, nowMs: number): Records.OpRecord {
  return { ...r, owner, leaseUntil: nowMs + LEASE_MS };
}

/** how the runner drives an operation: its saga from the last recorded step, or its undos */
export type RunMode = 'run' | 'rollback';

/** What a taken-over operation goes on with: an undo under way goes on undoing. */
export function resumeMode(r: Records.OpRecord): RunMode {
  return r.state === OpState.rollingBack ? 'rollback' : 'run';
}

/**
 * Keeps the lease of an operation this orchestrator drives, renewed every third of LEASE_MS,
 * until the returned function stops it (or a write fails: the operation is lost to another).
 */
export function renewing(op: OpHandle): () => void {
  const renew = setInterval(() => {
    op.write((r) => ({ ...r, leaseUntil: Date.now() + LEASE_MS })).catch(() => clearInterval(renew));
  }, LEASE_MS / 3);
  return () => clearInterval(renew);
}
