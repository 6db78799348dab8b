import { IsIn, IsInt, IsNumber, IsOptional, IsPositive, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IMAGE_PATTERN } from '../descriptor/schema.js';
import { TOKEN_RE } from '../common/headers.js';

const TOKEN = TOKEN_RE;

/**
 * AO->VIM requests, each on its zone's subject: `vnf.vim.<verb>.<zone>`, the zone last (the target
 * last, as NATS ADR-6 has it, so that access control can grant one zone's subjects). Each zone is
 * served by the VIM adapters that run where its hosts are, in a queue group per zone (ADR 26): a
 * zone no adapter serves has no responders. A virtual host is named by its node id.
 */
export const Verb = {
  hostActivate: 'host-activate',
  hostRemove: 'host-remove',
  hostList: 'host-list',
  hostLogs: 'host-logs',
} as const;
export type Verb = (typeof Verb)[keyof typeof Verb];

export const PREFIX = 'vnf.vim';
/** `vnf.vim.host-activate.edge`; `*` for the zone: the verb in every zone (access grants) */
export const subject = (verb: Verb, zone: string): string => `${PREFIX}.${verb}.${zone}`;
/** The queue group of one zone's adapters: two adapters of a zone share its requests. */
export const queueOf = (zone: string): string => `vim-adapter-${zone}`;

/**
 * Any VIM adapter answers (queue group `vim-adapter`) with the zones of its configuration, which
 * every adapter shares (docs/cluster.md): what a deployment or migration may name, and the
 * default zone, which the AO writes into the VNF record of a cluster that names none.
 */
export const ZONE_LIST = `${PREFIX}.zone-list`;

export interface ZoneListReply {
  defaultZone: string;
  zones: string[];
}

export class HostActivate {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Matches(TOKEN) node!: string;
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

/** A request as each caller makes it (its connection, its timeouts): the reply body, or a throw. */
export type Ask = <T>(subject: string, body: object) => Promise<T>;

/**
 * Every zone's hosts: the zones asked of any adapter, then each zone's host-list from the adapters
 * that serve it. A zone nobody serves makes it fail (the caller's ask says how): a list that
 * silently lacks a zone would look like a zone without hosts.
 */
export async function listAllHosts(ask: Ask, filter: HostList = {}): Promise<HostInfo[]> {
  const { zones } = await ask<ZoneListReply>(ZONE_LIST, {});
  const lists = await Promise.all(zones.map((zone) => ask<HostListReply>(subject(Verb.hostList, zone), filter)));
  return lists.flatMap((l) => l.hosts);
}
