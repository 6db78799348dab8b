import type { Algorithm, OpState } from '../records/index.js';

/** Every AO->DevOps: notify, and every change of an operation's state, is published here. */
export const SubjectPrefix = 'vnf.evt';
export const subject = (vnf: string, op: string): string => `${SubjectPrefix}.${vnf}.${op}`;
export const ALL = `${SubjectPrefix}.>`;
export const STREAM = 'VNF_EVENTS';

export interface Event {
  op: string;
  vnf: string;
  algorithm: Algorithm;
  /** the diagram label of the step this notifies, or `operation` for a state change */
  step: string;
  cluster?: string;
  node?: string;
  state: OpState | 'done';
  ts: string;
  error?: { err_code: string; description: string };
  details?: Record<string, unknown>;
}
