import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { JsonKv, NATS } from '@vnf-lcm/bus';
import type { Descriptor, Vnfm } from '@vnf-lcm/contracts';
import { countNodesOf } from './metrics.js';

export interface NodeState {
  node: string;
  address: string;
  version: string;
  zone?: string;
  state: 'creating' | 'running' | 'stopped' | 'failed';
}

/** What the VNFM knows of one cluster: its spec, its nodes and its membership. */
export interface ClusterState {
  vnf: string;
  name: string;
  spec: Descriptor.ClusterSpec;
  state: 'created' | 'started';
  nodes: NodeState[];
  /** node ids in the cluster's membership, in the order they joined */
  members: string[];
  /** recent scale-in picks by step key: the same step sent again removes the same node */
  leaves?: { step: string; node: string }[];
}

export const key = (vnf: string, cluster: string) => `${vnf}.${cluster}`;

/** Cluster records in the `vnfm-clusters` bucket, so that a restarted VNFM knows its clusters. */
@Injectable()
export class ClusterStore implements OnModuleInit {
  private kv!: JsonKv<ClusterState>;

  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  async onModuleInit() {
    this.kv = await JsonKv.open<ClusterState>(this.nc, 'vnfm-clusters');
    countNodesOf(() => this.all());
  }

  async get(vnf: string, cluster: string): Promise<ClusterState | undefined> {
    return (await this.kv.get(key(vnf, cluster)))?.value;
  }

  /**
   * The record as this VNFM last read or wrote it, else as stored. Only for what a following
   * compare-and-set write checks, or for what does not change while an operation runs (spec);
   * to read, never to change.
   */
  async peek(vnf: string, cluster: string): Promise<ClusterState | undefined> {
    return (this.kv.cached(key(vnf, cluster)) ?? (await this.kv.get(key(vnf, cluster))))?.value;
  }

  list(vnf: string): Promise<ClusterState[]> {
    return this.kv.values(`${vnf}.*`);
  }

  all(): Promise<ClusterState[]> {
    return this.kv.values();
  }

  mutate(vnf: string, cluster: string, change: (c: ClusterState | undefined) => ClusterState | undefined) {
    return this.kv.mutate(key(vnf, cluster), change);
  }

  /** See JsonKv.mutateAhead: the write is ordered before what is sent next, its answer comes later. */
  mutateAhead(vnf: string, cluster: string, change: (c: ClusterState | undefined) => ClusterState | undefined) {
    return this.kv.mutateAhead(key(vnf, cluster), change);
  }

  /** the members' endpoints of each cluster `c` depends on, as the records have them now */
  async providerEndpoints(c: ClusterState): Promise<Record<string, Descriptor.Endpoint[]>> {
    const out: Record<string, Descriptor.Endpoint[]> = {};
    for (const p of c.spec.dependsOn ?? []) {
      const pc = await this.get(c.vnf, p);
      out[p] = pc ? endpointsOf(pc) : [];
    }
    return out;
  }
}

export function endpointsOf(c: ClusterState): Descriptor.Endpoint[] {
  return c.members
    .map((id) => c.nodes.find((n) => n.node === id))
    .filter((n): n is NodeState => !!n)
    .map((n) => ({ node: n.node, address: n.address, port: c.spec.app.port, version: n.version }));
}

/** what the VNFM heard of a node: its last heartbeat's time and application state */
export type Seen = (node: string) => { lastSeen?: string; app?: { state: string; healthy?: boolean } };

export function view(c: ClusterState, seen: Seen): Vnfm.ClusterView {
  return {
    vnf: c.vnf,
    name: c.name,
    spec: c.spec,
    members: endpointsOf(c),
    nodes: c.nodes.map((n) => ({ ...n, ...seen(n.node) })),
  };
}
