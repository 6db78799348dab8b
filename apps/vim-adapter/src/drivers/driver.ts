import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@vnf-lcm/bus';
import type { Vim } from '@vnf-lcm/contracts';
import type { ZoneConfig } from '../config.js';
import type { NodeIdentities } from '../identities.js';

export type HostInfo = Vim.HostInfo;

/** What create needs to place a host; the zone is already resolved. */
export interface HostSpec {
  node: string;
  vnf: string;
  cluster: string;
  zone: string;
  /** the image of the application the node will run (its app spec's); a driver without images (process) ignores it */
  image?: string;
  /** the cluster's limits per node, from its descriptor; drivers that cannot enforce them ignore them */
  cpus?: number;
  memoryMiB?: number;
}

export interface StopOptions {
  /**
   * The agent was already asked (over NATS) to shut down: give it time to exit on its own
   * before signals. Without it the driver stops the host forcibly at once.
   */
  asked?: boolean;
}

/**
 * One zone's infrastructure. A host's identity is its node id; its record is whatever the
 * infrastructure itself holds (a folder, a container's labels, a pod, a server's metadata), so
 * that a restarted VIM adapter finds its hosts again without a database of its own.
 *
 * Fits: process (folder + loopback address + spawned agent), docker (container running the
 * agent; address from the container network), kubernetes (pod; address from the pod IP),
 * openstack (server with cloud-init starting the agent; address from the port).
 */
export interface Driver {
  /** the driver's registry name, recorded in HostInfo.driver */
  readonly kind: string;
  readonly zone: string;
  /** allocate the host's address and place it; the agent does not run yet */
  create(spec: HostSpec): Promise<HostInfo>;
  /** boot the agent and resolve once it has announced itself (Agent.hello) */
  start(host: HostInfo): Promise<HostInfo>;
  /**
   * record that the agent of a host still 'creating' (its start was cut short) has answered
   * after all; returns the host as running
   */
  confirm(host: HostInfo): Promise<HostInfo>;
  /** make sure neither the agent nor its application runs; a host already stopped is no error */
  stop(host: HostInfo, o?: StopOptions): Promise<void>;
  /** release everything the host holds (its address included); an absent host is no error */
  destroy(host: HostInfo): Promise<void>;
  /** the host of this node in this zone, if it exists, with its liveness as state ('creating' until its agent announced itself) */
  get(node: string): Promise<HostInfo | undefined>;
  /** every host that really exists in this zone, with its liveness as state */
  list(): Promise<HostInfo[]>;
  /** whether the host's agent is running */
  alive(host: HostInfo): Promise<boolean>;
  /**
   * Watch the zone's running hosts and call `down` as soon as one dies (its agent exited, its
   * container died), with what was seen (`agent died (SIGKILL)`, `container died (exit 137)`);
   * returns what ends the watch. Every death is reported, the VIM's own stops included: the
   * caller (HostWatch) knows which hosts the VIM is stopping. A driver without it leaves deaths
   * to the VNFM's heartbeats.
   */
  watch?(down: HostDownListener): () => void;
  /**
   * The host's log: its agent's own output or its application's log file. Without a cursor the
   * last `tail` lines; with one (from an earlier reply) only what came after it. The cursor is
   * the driver's own (a byte offset, a timestamp). A driver without it cannot show logs.
   */
  logs?(host: HostInfo, o: LogsOptions): Promise<LogsReply>;
  /**
   * The adapter is stopping: release what the driver holds for itself (the process driver's spare
   * agent), never a host.
   */
  close?(): void;
}

export interface LogsOptions {
  source: 'app' | 'agent';
  tail: number;
  cursor?: string;
}

export interface LogsReply {
  lines: string[];
  cursor: string;
  /** cut to the last LOGS_MAX_BYTES */
  truncated?: boolean;
}

export type HostDownListener = (node: string, reason: string) => void;

/**
 * What every driver may use: the adapter's NATS connection (to see the agent's hello), its log,
 * and node identities: a driver mints one for each agent it starts and hands it over by a way
 * only that agent can read, and revokes it when the host is destroyed or the agent replaced.
 */
export interface DriverDeps {
  nc: NatsConnection;
  log: Logger;
  identities: NodeIdentities;
}

/**
 * A driver kind: `check` validates a zone's options at start-up (throws ConfigError), before
 * anything connects; `create` builds the zone's driver once the adapter is connected.
 */
export interface DriverKind<O> {
  check(zone: ZoneConfig): O;
  create(options: O, deps: DriverDeps): Driver;
}
