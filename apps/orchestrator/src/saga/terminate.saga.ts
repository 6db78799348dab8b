import { Descriptor, Label, Vnfm, type Records } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { RemovalsBehind } from './remove-node.js';
import type { Saga } from './saga.js';

export type TerminateParams = {
  /** the clusters in the order they go (clients first), each with its node count when accepted */
  clusters: { cluster: string; count: number }[];
};

/**
 * The clusters of a VNF in the order terminate removes them: the reverse of the deployment's,
 * so that no cluster goes while a client of it still runs.
 */
export function terminationPlan(v: Records.VnfRecord): TerminateParams {
  const order = Descriptor.deploymentOrder(v.descriptor).reverse();
  return { clusters: order.map((c) => ({ cluster: c.name, count: v.nodes[c.name]?.length ?? 0 })) };
}

/**
 * Terminate, as docs/sequences/terminate.wsd draws it: scale-in.wsd's "remove old node from
 * cluster" for every node, cluster by cluster, clients first. Once the operation completes the
 * runner marks the VNF NOT_INSTANTIATED (ADR 20). Each removal registers scale-in's undo, so a
 * rollback puts nodes back, providers before clients (undos run newest first), each like the one
 * removed: its own version and zone (`restore: {}` names none of its own: remove-node.ts reads them
 * from the VNF record), since a cluster may run two versions or span two zones after an upgrade
 * or a migration that stopped half way.
 */
export async function terminate(s: Saga, book: VnfBook, p: TerminateParams): Promise<void> {
  const vnf = s.record.vnf;
  // each node's host goes while the next node leaves (ADR 33): its application is gone already
  const behind = new RemovalsBehind(s, book);
  // loop over all clusters in reverse sequence of dependencies
  for (const { cluster, count } of p.clusters) {
    // loop over all cluster nodes
    for (let i = 1; i <= count; i++) {
      // remove node from cluster; its clients went before it (and, on rollback, come back after
      // it): scale-in's "loop over all clients" has none to go through
      await behind.remove(`${cluster}/${i}`, { vnf, cluster, pick: Vnfm.Pick.newest, clients: [], hostLabel: Label.removeVirtualHost, restore: {} });
    }
  }
  await behind.done();
}
