import { Descriptor, Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode } from './add-node.js';
import { removeNode } from './remove-node.js';
import type { Saga } from './saga.js';

export interface HealParams {
  cluster: string;
  node: string;
}

/**
 * Healing, as shared/sequences/healing.wsd draws it. The old node may be dead already: every
 * step towards it treats "gone" as "done".
 */
export async function healing(s: Saga, book: VnfBook, p: HealParams): Promise<void> {
  const v = (await book.get(s.record.vnf))!;
  const cluster = v.descriptor.clusters.find((c) => c.name === p.cluster)!;
  const clients = Descriptor.clientsOf(v.descriptor, p.cluster).map((c) => c.name);
  const zone = v.nodes[p.cluster]?.find((n) => n.node === p.node)?.zone;

  // remove old node from cluster
  await removeNode(s, book, 'old', { vnf: v.name, cluster: p.cluster, pick: Vnfm.Pick.node, node: p.node, clients, hostLabel: Label.removeOldVirtualHost, restore: { zone } });

  // add new node to cluster
  const node = await s.local('new/id', 'choose node id', { cluster: p.cluster }, () => book.newNodeId(v.name, p.cluster));
  await addNode(s, book, 'new', { vnf: v.name, cluster, node, clients, zone, hostLabel: Label.activateNewVirtualHost });
}
