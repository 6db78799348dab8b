import { Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode, HOSTS_AHEAD, NodesAhead } from './add-node.js';
import { RemovalsBehind } from './remove-node.js';
import type { Saga } from './saga.js';

export type HealParams = {
  cluster: string;
  node: string;
};

/**
 * Healing, as shared/sequences/healing.wsd draws it. The old node may be dead already: the VNFM
 * and the VIM take a dead agent or host as stopped (`tolerateGone`), so removing it still works.
 */
export async function healing(s: Saga, book: VnfBook, p: HealParams): Promise<void> {
  const { v, spec, clients } = await book.cluster(s.record.vnf, p.cluster);
  const zone = v.nodes[p.cluster]?.find((n) => n.node === p.node)?.zone;

  // the new node's host is activated while the old node is removed (ADR 25): it is the slow
  // part of the replacement, and it needs nothing of the old node
  const add = { vnf: v.name, cluster: spec, clients, zone, hostLabel: Label.activateNewVirtualHost };
  // its application too, when another node of the cluster is recorded beside the old one (ADR 34)
  // (counted with the old node, also when a resumed healing finds it out of the record already)
  const apps = (v.nodes[p.cluster]?.length ?? 0) + (s.done('old/unrecord') ? 1 : 0) > 1;
  const replacement = HOSTS_AHEAD > 1 ? new NodesAhead(s, book, ['new'], add, { apps }).node(0) : undefined;

  // remove old node from cluster; its host goes while the new node joins (ADR 33)
  const behind = new RemovalsBehind(s, book);
  await behind.remove('old', {
    vnf: v.name,
    cluster: p.cluster,
    pick: Vnfm.Pick.node,
    node: p.node,
    clients,
    hostLabel: Label.removeOldVirtualHost,
    restore: { zone },
  });

  // add new node to cluster
  await addNode(s, book, 'new', add, replacement);
  await behind.done();
}
