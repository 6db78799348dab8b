import type { AppSpec, Endpoint, HealthCheck } from '../descriptor/types.js';
import { TOKEN_RE } from '../common/headers.js';

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
/**
 * The CA of the server's certificate itself (PEM), in a container agent's environment: nothing is
 * written into its container before it reads it (ADR 36). NATS_*, so its application never gets it.
 */
export const CA_PEM_ENV = 'NATS_TLS_CA_PEM';
/** The node a heartbeat is from, read from its subject (the one fact about it the server vouches for). */
export function nodeOfHeartbeat(subject: string): string | undefined {
  const prefix = 'vnf.agent.heartbeat.';
  const node = subject.startsWith(prefix) ? subject.slice(prefix.length) : '';
  return TOKEN.test(node) ? node : undefined;
}

/** The node a request to an agent (`subject(verb, node)`) is for: its last token. */
export function nodeOfSubject(subject: string): string | undefined {
  if (!subject.startsWith('vnf.agent.')) return undefined;
  const node = subject.slice(subject.lastIndexOf('.') + 1);
  return TOKEN.test(node) ? node : undefined;
}

const TOKEN = TOKEN_RE;

/*
 * The requests an agent takes are plain interfaces checked against JSON schemas (schema.ts), not
 * class-validator classes: only the agent receives them, and it must start without loading a
 * validation framework (docs/adr/0018-light-agent.md).
 */
export interface AppCreate {
  vnf: string;
  cluster: string;
  app: AppSpec;
  health?: HealthCheck;
  /** the cluster's membership as the new node must see it */
  members: Endpoint[];
  /** current service endpoints of every provider cluster */
  endpoints: Record<string, Endpoint[]>;
}

export interface ClusterReconfigure {
  members: Endpoint[];
}

export interface ClientReconfigure {
  provider: string;
  endpoints: Endpoint[];
}

export type Empty = Record<string, never>;

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

export * from './schema.js';
export * from './hollow.js';
export * from './spare.js';
export * from './runtime-env.js';
