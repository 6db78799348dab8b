import { IsOptional, Matches } from 'class-validator';
import { Conforms } from '../descriptor/conforms.js';
import type { AppSpec, Endpoint, HealthCheck } from '../descriptor/types.js';

/**
 * VNFM/VIM -> VNF requests to one node's agent. The node id is the last token, so that
 * access control can give each agent its own subjects (NATS ADR-6).
 */
export const Verb = {
  appCreate: 'app-create',
  appStart: 'app-start',
  appStop: 'app-stop',
  appDestroy: 'app-destroy',
  clusterReconfigure: 'cluster-reconfigure',
  clientReconfigure: 'client-reconfigure',
  status: 'status',
  shutdown: 'shutdown',
} as const;
export type Verb = (typeof Verb)[keyof typeof Verb];

export const subject = (verb: Verb, node: string): string => `vnf.agent.${verb}.${node}`;
/** the agent announces itself here once connected; the VIM waits for it on start virtual host */
export const hello = (node: string): string => `vnf.agent.hello.${node}`;
export const heartbeat = (node: string): string => `vnf.agent.heartbeat.${node}`;
export const HEARTBEAT_ALL = 'vnf.agent.heartbeat.*';
/** The node a heartbeat is from, read from its subject (the one fact about it the server vouches for). */
export function nodeOfHeartbeat(subject: string): string | undefined {
  const prefix = 'vnf.agent.heartbeat.';
  const node = subject.startsWith(prefix) ? subject.slice(prefix.length) : '';
  return TOKEN.test(node) ? node : undefined;
}

const TOKEN = /^[a-z][a-z0-9-]{0,62}$/;

export class AppCreate {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Conforms('app') app!: AppSpec;
  @IsOptional() @Conforms('health') health?: HealthCheck;
  /** the cluster's membership as the new node must see it */
  @Conforms('endpoints') members!: Endpoint[];
  /** current service endpoints of every provider cluster */
  @Conforms('endpointsByCluster') endpoints!: Record<string, Endpoint[]>;
}

export class ClusterReconfigure {
  @Conforms('endpoints') members!: Endpoint[];
}

export class ClientReconfigure {
  @Matches(TOKEN) provider!: string;
  @Conforms('endpoints') endpoints!: Endpoint[];
}

export class Empty {}

export type AppState = 'absent' | 'created' | 'starting' | 'running' | 'stopped' | 'failed';

export interface Status {
  node: string;
  vnf?: string;
  cluster?: string;
  address: string;
  app: {
    state: AppState;
    version?: string;
    pid?: number;
    port?: number;
    restarts?: number;
    reason?: string;
    /** false after 3 failed health probes in a row while running; true again once one passes */
    healthy?: boolean;
  };
  /** what the application's config currently holds */
  members: Endpoint[];
  endpoints: Record<string, Endpoint[]>;
}

export interface Hello {
  node: string;
  address: string;
  pid: number;
}

export interface Heartbeat {
  node: string;
  vnf?: string;
  cluster?: string;
  app: Status['app'];
  ts: string;
  /** what the application reports of itself (e.g. requests per second), when it does */
  metrics?: Record<string, number>;
}

/**
 * The file an agent writes for its application (path in VNF_CONFIG) before start and on every
 * reconfiguration; the application re-reads it on its reload signal.
 */
export interface AppConfig {
  node: string;
  vnf: string;
  cluster: string;
  address: string;
  port: number;
  version: string;
  members: Endpoint[];
  endpoints: Record<string, Endpoint[]>;
  /**
   * Grows with every rewrite. An application that reports the generation it applied (as
   * `generation` in its health check's JSON) lets the agent answer a reconfiguration only once it
   * took effect, so that a node left out of the endpoints really gets no more requests.
   */
  generation: number;
}
