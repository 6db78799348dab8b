import { Inject, Injectable } from '@nestjs/common';
import { Descriptor, nodeId, Records } from '@vnf-lcm/contracts';
import { RecordsStore } from './records.store.js';

/** Changes to a VNF instance record, each one compare-and-set. */
@Injectable()
export class VnfBook {
  constructor(@Inject(RecordsStore) private readonly store: RecordsStore) {}

  get(vnf: string) {
    return this.store.vnfs.get(vnf).then((v) => v?.value);
  }

  all(): Promise<Records.VnfRecord[]> {
    return this.store.vnfs.values();
  }

  /** What a saga on one cluster starts from: the VNF, the cluster's spec, the clusters that depend on it. */
  async cluster(vnf: string, name: string): Promise<{ v: Records.VnfRecord; spec: Descriptor.ClusterSpec; clients: string[] }> {
    const v = (await this.get(vnf))!;
    const spec = v.descriptor.clusters.find((c) => c.name === name)!;
    // a record deployed before deployment wrote every cluster's zone (ADR 26): its nodes say where it is
    const zone = spec.zone ?? v.nodes[name]?.[0]?.zone;
    return { v, spec: zone ? { ...spec, zone } : spec, clients: Descriptor.clientsOf(v.descriptor, name).map((c) => c.name) };
  }

  /**
   * A node id is `<vnf>-<cluster>-<n>` with n never reused, so a subject never means two nodes
   * (deployment refuses a VNF whose `<vnf>-<cluster>` is another VNF's: `sharedNodeIds`).
   */
  async newNodeId(vnf: string, cluster: string): Promise<string> {
    let id = '';
    await this.store.vnfs.mutate(vnf, (r) => {
      const seq = (r!.nextSeq[cluster] ?? 0) + 1;
      id = nodeId(vnf, cluster, seq);
      return { ...r!, nextSeq: { ...r!.nextSeq, [cluster]: seq }, updatedAt: now() };
    });
    return id;
  }

  async addNode(vnf: string, n: Records.NodeRecord): Promise<void> {
    await this.store.vnfs.mutate(vnf, (r) => {
      const list = (r!.nodes[n.cluster] ?? []).filter((x) => x.node !== n.node);
      return { ...r!, nodes: { ...r!.nodes, [n.cluster]: [...list, n] }, updatedAt: now() };
    });
  }

  /** After an upgrade: new nodes run `app`; the version it replaced stays available to go back to. */
  async setVersion(vnf: string, cluster: string, app: Descriptor.AppSpec, from: Descriptor.AppSpec): Promise<void> {
    const spec = (await this.cluster(vnf, cluster)).spec;
    await this.setCluster(vnf, cluster, { app, versions: versionsAfter(spec, app, from) });
  }

  /** After an upgrade or a migration: what new nodes of the cluster run, and where. */
  async setCluster(vnf: string, cluster: string, patch: Partial<Descriptor.ClusterSpec>): Promise<void> {
    await this.store.vnfs.mutate(vnf, (r) => ({
      ...r!,
      descriptor: { ...r!.descriptor, clusters: r!.descriptor.clusters.map((c) => (c.name === cluster ? { ...c, ...patch } : c)) },
      updatedAt: now(),
    }));
  }

  /** Returns the zone the node was in, if the record had it: its host is to be removed there. */
  async removeNode(vnf: string, cluster: string, node: string): Promise<string | undefined> {
    let zone: string | undefined;
    await this.store.vnfs.mutate(vnf, (r) => {
      zone = r!.nodes[cluster]?.find((x) => x.node === node)?.zone;
      return { ...r!, nodes: { ...r!.nodes, [cluster]: (r!.nodes[cluster] ?? []).filter((x) => x.node !== node) }, updatedAt: now() };
    });
    return zone;
  }
}

export const now = () => new Date().toISOString();

/**
 * The versions a cluster keeps to go back to once it runs `app`: the one it ran (`from`) first,
 * then those it kept before; never the one it runs now.
 */
export function versionsAfter(spec: Descriptor.ClusterSpec, app: Descriptor.AppSpec, from: Descriptor.AppSpec): Descriptor.AppSpec[] {
  return [from, ...(spec.versions ?? [])].filter((a) => a.version !== app.version);
}

/**
 * What a VNF is once an operation on it ended in `state`: a completed deployment instantiated
 * it; a completed terminate leaves it NOT_INSTANTIATED, its record kept for its name and node
 * numbers (ADR 20); anything else leaves it as it was.
 */
export function vnfStateAfter(algorithm: Records.Algorithm, state: Records.OpState, was: Records.VnfRecord['state']): Records.VnfRecord['state'] {
  if (state !== Records.OpState.completed) return was;
  if (algorithm === Records.Algorithm.deployment) return 'INSTANTIATED';
  if (algorithm === Records.Algorithm.terminate) return 'NOT_INSTANTIATED';
  return was;
}
