import type { ClusterState } from './cluster.store.js';

/** A refusal of the AO, as the watcher keeps it: its code and what holds the VNF, if it said. */
export interface Refusal {
  err_code?: string;
  /** the algorithm of the operation holding the VNF (saga/conflicts.ts heldError) */
  holder?: string;
  why: string;
}

export const RETRY = {
  /** the first wait after a refusal: another operation runs, and most end within seconds */
  firstMs: 1000,
  /** waits double up to this: a long operation is not asked at every tick (issue 13.7: 15 healings during a teardown) */
  maxMs: 15_000,
  /** a node the AO does not know, or a VNF that is terminating or terminated: its nodes are going */
  goingMs: 30_000,
} as const;

/** How long the watcher waits before asking again for a node refused `times` times in a row. */
export function retryInMs(r: Refusal, times: number): number {
  if (r.err_code === 'not_found' || r.holder === 'terminate' || /not instantiated/.test(r.why)) return RETRY.goingMs;
  return Math.min(RETRY.maxMs, RETRY.firstMs * 2 ** Math.max(0, times - 1));
}

/**
 * A node that left its cluster's membership through a scale-in (terminate, healing, upgrade and
 * migrate remove nodes the same way) is being removed on purpose: its silence is no failure.
 */
export function leaving(c: ClusterState, node: string): boolean {
  return !c.members.includes(node) && (c.leaves ?? []).some((l) => l.node === node);
}
