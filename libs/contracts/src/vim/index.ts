import { IsIn, IsInt, IsNumber, IsOptional, IsPositive, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IMAGE_PATTERN } from '../descriptor/schema.js';
import { TOKEN_RE } from '../common/headers.js';

const TOKEN = TOKEN_RE;

/** AO->VIM requests. A virtual host is named by its node id. */
export const Subject = {
  hostActivate: 'vnf.vim.host-activate',
  hostRemove: 'vnf.vim.host-remove',
  hostList: 'vnf.vim.host-list',
  hostLogs: 'vnf.vim.host-logs',
} as const;

export class HostActivate {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Matches(TOKEN) node!: string;
  @IsOptional() @Matches(TOKEN) zone?: string;
  /** the image of the application the node will run (its app spec's `image`): a docker host runs it instead of its zone's; a process host ignores it */
  @IsOptional() @Matches(new RegExp(IMAGE_PATTERN)) image?: string;
  /** the cluster's limits for each node (its descriptor's `resources`); a process host ignores them */
  @IsOptional() @IsNumber() @IsPositive() @Max(256) cpus?: number;
  @IsOptional() @IsInt() @Min(6) @Max(1048576) memoryMiB?: number;
}

export class HostRemove {
  @Matches(TOKEN) node!: string;
}

/** a host's log, asked of its driver; the reply is a Query.NodeLogsReply */
export class HostLogs {
  @Matches(TOKEN) node!: string;
  @IsIn(['app', 'agent']) source!: 'app' | 'agent';
  @IsInt() @Min(1) @Max(10_000) tail!: number;
  @IsOptional() @IsString() @MaxLength(128) cursor?: string;
}

export class HostList {
  @IsOptional() @Matches(TOKEN) zone?: string;
  @IsOptional() @Matches(TOKEN) vnf?: string;
}

export interface HostInfo {
  node: string;
  vnf: string;
  cluster: string;
  zone: string;
  driver: string;
  /** the address applications on this host bind to */
  address: string;
  state: 'creating' | 'running' | 'stopped';
  /** driver-specific: the folder of a process host, the container id of a docker host */
  ref?: string;
  pid?: number;
  /** process driver: this start's agent was a spare, ready before the host (docs/adr/0027); absent when started cold */
  warm?: boolean;
  createdAt: string;
  /** host-list only: no VNF record owns this host; the VIM removes it once the grace period has passed */
  orphan?: boolean;
  /** host-list only: when the VIM first saw it as an orphan */
  orphanSince?: string;
}

export interface HostRemoveReply {
  node: string;
  /** false when there was no such host: removal is idempotent */
  removed: boolean;
}

export interface HostListReply {
  hosts: HostInfo[];
}

/**
 * VIM -> VNFM: a host died without the VIM stopping it (its agent exited, its container died).
 * Published at once, on `vnf.vim.host-down.<node>` (node id last, as the agents' subjects), which
 * only the VIM adapter may publish on: the VNFM takes the node from the subject, never from the
 * body. Hung nodes are still the heartbeats' to find.
 */
export const HOST_DOWN_PREFIX = 'vnf.vim.host-down';
export const hostDown = (node: string): string => `${HOST_DOWN_PREFIX}.${node}`;
export const HOST_DOWN_ALL = `${HOST_DOWN_PREFIX}.*`;
/** The node a host-down is about, read from its subject; undefined for anything else. */
export function nodeOfHostDown(subject: string): string | undefined {
  const prefix = `${HOST_DOWN_PREFIX}.`;
  const node = subject.startsWith(prefix) ? subject.slice(prefix.length) : '';
  return TOKEN.test(node) ? node : undefined;
}

export interface HostDown {
  zone: string;
  driver: string;
  /** what the driver saw: `agent died (SIGKILL)`, `container died (exit 137)` */
  reason: string;
  /** when the driver saw it (ISO 8601) */
  at: string;
}
