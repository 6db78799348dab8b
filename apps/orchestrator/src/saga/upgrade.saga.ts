import { Descriptor, Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode } from './add-node.js';
import { removeNode } from './remove-node.js';
import type { Saga } from './saga.js';

export interface RollingParams {
  cluster: string;
  /** how many nodes to replace: those not yet on the target when the request was accepted */
  count: number;
}

export interface UpgradeParams extends RollingParams {
  app: Descriptor.AppSpec;
  from: Descriptor.AppSpec;
}

/**
 * Upgrade, as shared/sequences/upgrade.wsd draws it: a new node joins and serves before an old
 * one leaves, so capacity never drops. Each half registers its undo (add-node, remove-node): a
 * failed upgrade puts old versions back in place of the new nodes.
 */
export async function upgrade(s: Saga, book: VnfBook, p: UpgradeParams): Promise<void> {
  const v = (await book.get(s.record.vnf))!;
  const cluster = v.descriptor.clusters.find((c) => c.name === p.cluster)!;
  const clients = Descriptor.clientsOf(v.descriptor, p.cluster).map((c) => c.name);
  const base = { vnf: v.name, cluster: p.cluster, clients };

  // loop until all cluster nodes are upgraded
  for (let i = 1; i <= p.count; i++) {
    // add new node to cluster
    const node = await s.local(`${i}/id`, 'choose node id', { cluster: p.cluster }, () => book.newNodeId(v.name, p.cluster));
    await addNode(s, book, `${i}/new`, { vnf: v.name, cluster, node, clients, app: p.app, hostLabel: Label.activateNewVirtualHost });

    // remove old node from cluster
    await removeNode(s, book, `${i}/old`, { ...base, pick: Vnfm.Pick.oldVersion, version: p.app.version, hostLabel: Label.removeOldVirtualHost, restore: { app: p.from } });
  }
  const versions = [p.from, ...(cluster.versions ?? [])].filter((a) => a.version !== p.app.version);
  await s.local('version', 'record version', { cluster: p.cluster }, () => book.setCluster(v.name, p.cluster, { app: p.app, versions }));
}
