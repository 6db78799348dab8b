import { Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { replaceNodes } from './rolling.js';
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
  // loop until all cluster nodes are migrated: add new node to cluster, remove old node from cluster
  await replaceNodes(
    s,
    book,
    p.count,
    { vnf: v.name, cluster: spec, clients, zone: p.zone, hostLabel: Label.activateNewVirtualHost },
    { vnf: v.name, cluster: p.cluster, clients, pick: Vnfm.Pick.oldZone, zone: p.zone, hostLabel: Label.removeOldVirtualHost, restore: { zone: p.from } },
  );
  await s.local('zone', 'record zone', { cluster: p.cluster }, () => book.setCluster(v.name, p.cluster, { zone: p.zone }));
}
