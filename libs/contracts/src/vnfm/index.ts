import { IsIn, IsOptional, Matches, ValidateIf } from 'class-validator';
import { Conforms } from '../descriptor/conforms.js';
import type { AppSpec, ClusterSpec, Endpoint } from '../descriptor/types.js';
import { TOKEN_RE } from '../common/headers.js';

const TOKEN = TOKEN_RE;

/** AO->VNFM requests. */
export const Subject = {
  clusterActivate: 'vnf.vnfm.cluster-activate',
  appActivate: 'vnf.vnfm.app-activate',
  clusterScaleOut: 'vnf.vnfm.cluster-scale-out',
  clientReconfigure: 'vnf.vnfm.client-reconfigure',
  clusterScaleIn: 'vnf.vnfm.cluster-scale-in',
  appDestroy: 'vnf.vnfm.app-destroy',
  clusterGet: 'vnf.vnfm.cluster-get',
} as const;

/** How the cluster picks the node that leaves on scale-in (see ClusterScaleIn). */
export const Pick = {
  /** the newest member leaves: the longest-running nodes, with warm caches, stay */
  newest: 'newest',
  /** the oldest member not running `version` leaves (upgrade) */
  oldVersion: 'old-version',
  /** the oldest member not in `zone` leaves (migrate) */
  oldZone: 'old-zone',
  /** exactly `node` leaves (healing) */
  node: 'node',
} as const;
export type Pick = (typeof Pick)[keyof typeof Pick];

export class ClusterActivate {
  @Matches(TOKEN) vnf!: string;
  /** the cluster's descriptor entry, checked again against the descriptor's schema */
  @Conforms('cluster') spec!: ClusterSpec;
}

export class AppActivate {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Matches(TOKEN) node!: string;
  /** as an endpoint carries it to the agents (endpointSchema) */
  @Matches(/^[0-9a-f.:]{2,45}$/) address!: string;
  /** the zone of its virtual host, so that migrate can tell old nodes from new */
  @IsOptional() @Matches(TOKEN) zone?: string;
  /** the version to run; default: the cluster's current one */
  @IsOptional() @Matches(/^[^\s]{1,64}$/) version?: string;
  /** the application spec of that version, when the cluster's descriptor does not hold it */
  @IsOptional() @Conforms('app') app?: AppSpec;
}

export class ClusterScaleOut {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Matches(TOKEN) node!: string;
}

export class ClusterScaleIn {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @IsIn(Object.values(Pick)) pick!: Pick;
  /** each pick names what it compares with: `node` the node, `old-version` the new version, `old-zone` the new zone */
  @ValidateIf((o: ClusterScaleIn) => o.pick === Pick.node || o.node !== undefined) @Matches(TOKEN) node?: string;
  @ValidateIf((o: ClusterScaleIn) => o.pick === Pick.oldVersion || o.version !== undefined) @Matches(/^[^\s]{1,64}$/) version?: string;
  @ValidateIf((o: ClusterScaleIn) => o.pick === Pick.oldZone || o.zone !== undefined) @Matches(TOKEN) zone?: string;
}

export class AppDestroy {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Matches(TOKEN) node!: string;
}

export interface ScaleInReply {
  cluster: string;
  /** the node the cluster let go */
  node: string;
  members: Endpoint[];
}

export interface AppDestroyReply {
  node: string;
  /** false when the agent was gone already: the application counts as stopped */
  reached: boolean;
}

export class ClientReconfigure {
  @Matches(TOKEN) vnf!: string;
  /** the client cluster whose nodes get new service endpoints */
  @Matches(TOKEN) cluster!: string;
  /** the provider cluster whose endpoints changed */
  @Matches(TOKEN) provider!: string;
}

export class ClusterGet {
  @Matches(TOKEN) vnf!: string;
  @IsOptional() @Matches(TOKEN) cluster?: string;
}

export interface ClusterView {
  vnf: string;
  name: string;
  spec: ClusterSpec;
  /** nodes in the cluster's membership */
  members: Endpoint[];
  /** every node the VNFM manages for the cluster, member or not, with its last heartbeat's time and application state */
  nodes: { node: string; address: string; version: string; state: string; lastSeen?: string; app?: { state: string; healthy?: boolean } }[];
}

export interface ClusterReply {
  cluster: ClusterView;
}
export interface ClusterListReply {
  clusters: ClusterView[];
}
export interface AppActivateReply {
  node: string;
  endpoint: Endpoint;
}
export interface MembersReply {
  cluster: string;
  members: Endpoint[];
}
export interface EndpointsReply {
  cluster: string;
  provider: string;
  endpoints: Endpoint[];
  /** client nodes that applied them */
  nodes: string[];
}
