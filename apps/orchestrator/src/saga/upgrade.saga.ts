import { Descriptor, Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { replaceNodes } from './rolling.js';
import type { Saga } from './saga.js';

export type RollingParams = {
  cluster: string;
  /** how many nodes to replace: those not yet on the target when the request was accepted */
  count: number;
};

export type UpgradeParams = RollingParams & {
  app: Descriptor.AppSpec;
  from: Descriptor.AppSpec;
};

/**
 * Upgrade, as shared/sequences/upgrade.wsd draws it: a new node joins and serves before an old
 * one leaves, so capacity never drops. Each half registers its undo (add-node, remove-node): a
 * failed upgrade puts old versions back in place of the new nodes.
 */
export async function upgrade(s: Saga, book: VnfBook, p: UpgradeParams): Promise<void> {
  const { v, spec, clients } = await book.cluster(s.record.vnf, p.cluster);
  // loop until all cluster nodes are upgraded: add new node to cluster, remove old node from cluster
  await replaceNodes(
    s,
    book,
    p.count,
    { vnf: v.name, cluster: spec, clients, app: p.app, hostLabel: Label.activateNewVirtualHost },
    {
      vnf: v.name,
      cluster: p.cluster,
      clients,
      pick: Vnfm.Pick.oldVersion,
      version: p.app.version,
      hostLabel: Label.removeOldVirtualHost,
      restore: { app: p.from },
    },
  );
  await s.local('version', 'record version', { cluster: p.cluster }, () => book.setVersion(v.name, p.cluster, p.app, p.from));
}
