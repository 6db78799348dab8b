import { IsIn, IsInt, IsOptional, Matches, IsString, Max, MaxLength, Min } from 'class-validator';
import type { OpRecord, VnfRecord } from '../records/index.js';
import type * as Trace from '../trace/index.js';

/** Public, plain-JSON reads of the AO's records. */
export const Subject = {
  vnfGet: 'vnf.ao.vnf-get',
  vnfList: 'vnf.ao.vnf-list',
  opGet: 'vnf.ao.op-get',
  opList: 'vnf.ao.op-list',
  opTrace: 'vnf.ao.op-trace',
  /** a node's log (its application's or its agent's): a read, as the others */
  nodeLogs: 'vnf.ao.node-logs',
  /**
   * a VNF's nodes with what the VNFM last heard of each (its heartbeat's time and application
   * state): heartbeats themselves are on internal subjects no operator's role may read
   */
  nodeHealth: 'vnf.ao.node-health',
} as const;

/** Operator actions on an operation (FAILED_TEMP, or running for cancel). Public, plain JSON. */
export const Action = {
  retry: 'vnf.ao.op-retry',
  rollback: 'vnf.ao.op-rollback',
  fail: 'vnf.ao.op-fail',
  cancel: 'vnf.ao.op-cancel',
} as const;

export class OpCancel {
  @IsString()
  @MaxLength(64)
  op!: string;
  /** after stopping at the next step boundary; default rollback */
  @IsOptional()
  @IsIn(['rollback', 'fail'])
  then?: 'rollback' | 'fail';
}

export interface ActionReply {
  op: string;
  state: string;
  message: string;
}

/**
 * No fields, but a class all the same: a handler checks its payload against its parameter's
 * class, so a request to a handler without one would pass with any fields at all.
 */
export class VnfList {}

export class VnfGet {
  @Matches(/^[a-z][a-z0-9-]{0,62}$/)
  vnf!: string;
}

export class OpList {
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,62}$/)
  vnf?: string;
}

export class OpGet {
  @IsString()
  @MaxLength(64)
  op!: string;
}

export interface VnfGetReply {
  vnf: VnfRecord;
}
export interface VnfListReply {
  vnfs: VnfRecord[];
}
export interface OpGetReply {
  op: OpRecord;
}
export interface OpListReply {
  ops: OpRecord[];
}
export interface OpTraceReply {
  op: string;
  /** websequencediagrams text, message lines as in shared/sequences */
  wsd: string;
  entries: number;
  /** the arrows still open, outermost first: what a running operation waits on now */
  waiting: Trace.Entry[];
}

export class NodeHealth {
  @Matches(/^[a-z][a-z0-9-]{0,62}$/)
  vnf!: string;
}

export interface NodeHealthEntry {
  node: string;
  cluster: string;
  address: string;
  zone: string;
  version?: string;
  /** the node's state in the VNFM (e.g. `active`); absent when the VNFM does not know the node */
  state?: string;
  /** when its agent's last heartbeat came (ISO time); absent when none came since the VNFM started */
  lastSeen?: string;
  /** the application's state and health from that heartbeat */
  app?: { state: string; healthy?: boolean };
}

export interface NodeHealthReply {
  vnf: string;
  /** the VNF record's nodes, cluster by cluster, in the order they joined */
  nodes: NodeHealthEntry[];
}

export const LOG_SOURCES = ['app', 'agent'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];
/** a logs reply carries at most this much text (NATS' max payload is 1 MB): the newest part is kept */
export const LOGS_MAX_BYTES = 256 * 1024;

export class NodeLogs {
  @Matches(/^[a-z][a-z0-9-]{0,62}$/)
  node!: string;
  /** the last N lines (default 100); with a cursor, the lines after it (at most N) */
  @IsOptional() @IsInt() @Min(1) @Max(10_000) tail?: number;
  /** from an earlier reply: only what came after it (follow) */
  @IsOptional() @IsString() @MaxLength(128) cursor?: string;
  /** default app */
  @IsOptional() @IsIn(LOG_SOURCES) source?: LogSource;
}

export interface NodeLogsReply {
  node: string;
  lines: string[];
  /** pass it back to get only what comes next */
  cursor: string;
  /** the reply was cut to its last LOGS_MAX_BYTES */
  truncated?: boolean;
}
