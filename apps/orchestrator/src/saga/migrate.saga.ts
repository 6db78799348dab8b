import { Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode, NodesAhead, ROLLING_AHEAD } from './add-node.js';
import { removeNode } from './remove-node.js';
import type { Saga } from './saga.js';
import type { RollingParams } from './upgrade.saga.js';

export type MigrateParams = RollingParams & {
  zone: string;
  from?: string;
};

/**
 * Migrate, as shared/sequences/migrate.wsd draws it: every node is replaced by a new one on a
 * virtual host of the target zone, a new node serving before an old one leaves.
 */
export async function migrate(s: Saga, book: VnfBook, p: MigrateParams): Promise<void> {
  const { v, spec, clients } = await book.cluster(s.record.vnf, p.cluster);
  const base = { vnf: v.name, cluster: p.cluster, clients };

  // the next new node's host is activated while this one's old node leaves (ADR 25)
  const add = { vnf: v.name, cluster: spec, clients, zone: p.zone, hostLabel: Label.activateNewVirtualHost };
  const ahead = new NodesAhead(
    s,
    book,
    Array.from({ length: p.count }, (_, i) => `${i + 1}/new`),
    add,
    ROLLING_AHEAD,
  );

  // loop until all cluster nodes are migrated
  for (let i = 1; i <= p.count; i++) {
    // add new node to cluster
    await addNode(s, book, `${i}/new`, add, ahead.node(i - 1));

    // remove old node from cluster
    await removeNode(s, book, `${i}/old`, { ...base, pick: Vnfm.Pick.oldZone, zone: p.zone, hostLabel: Label.removeOldVirtualHost, restore: { zone: p.from } });
  }
  await s.local('zone', 'record zone', { cluster: p.cluster }, () => book.setCluster(v.name, p.cluster, { zone: p.zone }));
}
