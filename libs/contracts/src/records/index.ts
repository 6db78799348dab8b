import type { Endpoint, VnfDescriptor } from '../descriptor/types.js';

/** Operation states after ETSI SOL003's LcmOperationStateType. */
export const OpState = {
  starting: 'STARTING',
  processing: 'PROCESSING',
  completed: 'COMPLETED',
  failedTemp: 'FAILED_TEMP',
  rollingBack: 'ROLLING_BACK',
  rolledBack: 'ROLLED_BACK',
  failed: 'FAILED',
} as const;
export type OpState = (typeof OpState)[keyof typeof OpState];
export const FINAL_STATES: readonly OpState[] = [OpState.completed, OpState.rolledBack, OpState.failed];

export const Algorithm = {
  deployment: 'deployment',
  scaleOut: 'scale-out',
  scaleIn: 'scale-in',
  healing: 'healing',
  upgrade: 'upgrade',
  migrate: 'migrate',
  terminate: 'terminate',
} as const;
export type Algorithm = (typeof Algorithm)[keyof typeof Algorithm];

export interface NodeRecord extends Endpoint {
  cluster: string;
  zone: string;
}

export interface VnfRecord {
  name: string;
  descriptor: VnfDescriptor;
  state: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  /** nodes per cluster, in the order they joined */
  nodes: Record<string, NodeRecord[]>;
  /** next node sequence number per cluster, so a node id is never reused */
  nextSeq: Record<string, number>;
  /** the operation that holds the VNF; one at a time */
  activeOp?: string;
  updatedAt: string;
}

export interface StepRecord {
  /** idempotency key: unique within the operation */
  key: string;
  label: string;
  cluster?: string;
  node?: string;
  at: string;
  result?: unknown;
}

export interface OpRecord {
  id: string;
  vnf: string;
  algorithm: Algorithm;
  params: Record<string, unknown>;
  requestedBy: 'DevOps' | 'VNFM';
  state: OpState;
  steps: StepRecord[];
  error?: { err_code: string; description: string; step?: string };
  startedAt: string;
  endedAt?: string;
  /** where the time went: reading and writing the AO's own records, in milliseconds */
  stats?: { recordMs: number };
  /** the orchestrator instance driving the operation, and until when its claim holds */
  owner?: string;
  leaseUntil?: number;
}

/**
 * Older steps of an operation, stored apart from its record once they outgrow a page
 * (apps/orchestrator/src/records/op-store.ts): the page's KV key and how many steps it holds.
 */
export interface StepPage {
  key: string;
  count: number;
}

/** What an operator asked of a running operation: stop at the next step, then roll back or fail. */
export interface CancelRequest {
  then: 'rollback' | 'fail';
  at: string;
}
