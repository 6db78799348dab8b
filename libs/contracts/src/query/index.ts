import { IsIn, IsInt, IsOptional, Matches, IsString, Max, MaxLength, Min } from 'class-validator';
import type { OpRecord, VnfRecord } from '../records/index.js';
import type * as Trace from '../trace/index.js';
import { TOKEN_RE } from '../common/headers.js';

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
 * vnf-list and op-list answer a page at a time (docs/adr/0023-paged-lists.md): at most `limit` summaries, and
 * fewer when more would make the reply longer than MAX_REPLY_BYTES. A reply with `next` has
 * more after it: ask again with `cursor: next`. A reply without `next` is the last page.
 */
export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 500;
/**
 * The most a list reply carries, as JSON: a quarter of NATS' default max_payload (1 MiB, which
 * neither libs/auth's server configuration nor the tests' servers raise), so that a page never
 * fails to send whatever the records hold.
 */
export const MAX_REPLY_BYTES = 256 * 1024;

/** A cursor is opaque to clients; these are its shapes (vnf-list: a name, op-list: a time and an id). */
const VNF_CURSOR = TOKEN_RE;
const OP_CURSOR = /^\d{4}-\d\d-\d\dT[\d:.]{8,16}Z~[a-f0-9-]{1,64}$/;

abstract class Page {
  /** default LIST_DEFAULT_LIMIT */
  @IsOptional() @IsInt() @Min(1) @Max(LIST_MAX_LIMIT) limit?: number;
}

/** The VNF records in name order, summarised: vnf-get gives one whole. */
export class VnfList extends Page {
  /** `next` of the page before */
  @IsOptional() @Matches(VNF_CURSOR, { message: "cursor is not one of this subject's" }) cursor?: string;
}

export class VnfGet {
  @Matches(TOKEN_RE)
  vnf!: string;
}

/** Operation records, oldest first, summarised: op-get gives one whole, with its steps. */
export class OpList extends Page {
  @IsOptional()
  @Matches(TOKEN_RE)
  vnf?: string;
  /** `next` of the page before */
  @IsOptional() @Matches(OP_CURSOR, { message: "cursor is not one of this subject's" }) cursor?: string;
}

/** One cluster of a VNF as a list shows it. */
export interface ClusterSummary {
  name: string;
  /** nodes the record has now, and the descriptor's count */
  nodes: number;
  want: number;
  /** the version new nodes run */
  version: string;
  /** the versions its nodes run, with how many run each */
  running: Record<string, number>;
  zone?: string;
  dependsOn?: string[];
}

/** A VNF record without its descriptor and node list. */
export interface VnfSummary {
  name: string;
  state: VnfRecord['state'];
  clusters: ClusterSummary[];
  activeOp?: string;
  updatedAt: string;
}

/**
 * An operation record without its steps (their count instead); its params keep what is small:
 * a deployment's descriptor becomes its size, an app spec its version.
 */
export interface OpSummary {
  id: string;
  vnf: string;
  algorithm: OpRecord['algorithm'];
  params: Record<string, unknown>;
  requestedBy: OpRecord['requestedBy'];
  state: OpRecord['state'];
  steps: number;
  error?: OpRecord['error'];
  startedAt: string;
  endedAt?: string;
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
  vnfs: VnfSummary[];
  /** the cursor of the next page; absent on the last */
  next?: string;
}
export interface OpGetReply {
  /** whole, unless its steps would make the reply longer than MAX_REPLY_BYTES: then the newest that fit */
  op: OpRecord;
  /** how many of the oldest steps were left out to fit */
  omittedSteps?: number;
}
export interface OpListReply {
  ops: OpSummary[];
  /** the cursor of the next page; absent on the last */
  next?: string;
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
  @Matches(TOKEN_RE)
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
  @Matches(TOKEN_RE)
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
export * from './page.js';
