import { Gauge, Histogram } from 'prom-client';
import type { ClusterState } from './cluster.store.js';

/** How the VNFM learned that a node failed, for the detection histogram's `cause` label. */
export const FailureCause = { hostDown: 'host-down', silence: 'no-heartbeat', application: 'application' } as const;
export type FailureCause = (typeof FailureCause)[keyof typeof FailureCause];

/** heal detection is milliseconds (a host-down) to about a second (missed heartbeats) */
const DETECTION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];
const RECOVERY_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120];

const detection = new Histogram({
  name: 'vnf_vnfm_heal_detection_seconds',
  help: "From a node's failure (the host-down, the first failing beat, or the last heartbeat before silence) to the VNFM's healing request being accepted, by cause",
  labelNames: ['cause'] as const,
  buckets: DETECTION_BUCKETS,
});

const recovery = new Histogram({
  name: 'vnf_vnfm_heal_recovery_seconds',
  help: "From a node's failure to its replacement joining the cluster, for the healings the VNFM asked for",
  buckets: RECOVERY_BUCKETS,
});

/** Healings the VNFM asked for and not yet seen through, by operation id: when the failure began. */
const pending = new Map<string, number>();
/** a healing not seen through by then failed or was taken over; forgotten, not counted */
const PENDING_MS = 60 * 60_000;

/** The watcher's healing request for a node failed since `since` (epoch ms) was accepted as `op`. */
export function healRequested(op: string | undefined, cause: FailureCause, since: number): void {
  const now = Date.now();
  detection.observe({ cause }, Math.max(0, now - since) / 1000);
  for (const [o, t] of pending) if (now - t > PENDING_MS) pending.delete(o);
  if (op) pending.set(op, since);
}

/** A node joined a cluster in operation `op` (scale-out cluster): the replacement, if `op` heals. */
export function nodeJoined(op: string): void {
  const since = pending.get(op);
  if (since === undefined) return;
  pending.delete(op);
  recovery.observe(Math.max(0, Date.now() - since) / 1000);
}

let clusters: (() => Promise<ClusterState[]>) | undefined;

/** Read at each scrape from the cluster records, so that it never lags behind them. */
const nodes = new Gauge({
  name: 'vnf_vnfm_nodes',
  help: 'Nodes of each cluster as the VNFM records them, by state (creating, running, stopped, failed)',
  labelNames: ['vnf', 'cluster', 'state'] as const,
  async collect() {
    if (!clusters) return;
    const all = await clusters();
    this.reset();
    for (const c of all) for (const n of c.nodes) this.inc({ vnf: c.vnf, cluster: c.name, state: n.state });
  },
});

/** Where the nodes gauge reads the clusters (ClusterStore, once its bucket is open). */
export function countNodesOf(read: () => Promise<ClusterState[]>): void {
  clusters = read;
}
