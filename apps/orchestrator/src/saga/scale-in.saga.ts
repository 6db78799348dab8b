import { Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { RemovalsBehind } from './remove-node.js';
import type { Saga } from './saga.js';
import type { ScaleParams } from './scale-out.saga.js';

/** Scale-In, as shared/sequences/scale-in.wsd draws it. The cluster lets its newest node go. */
export async function scaleIn(s: Saga, book: VnfBook, p: ScaleParams): Promise<void> {
  const { v, clients } = await book.cluster(s.record.vnf, p.cluster);

  // each node's host goes while the next node leaves (ADR 33)
  const behind = new RemovalsBehind(s, book);
  // loop until required capacity is reached
  for (let i = 1; i <= p.from - p.to; i++) {
    // remove old node from cluster
    await behind.remove(`${i}`, { vnf: v.name, cluster: p.cluster, pick: Vnfm.Pick.newest, clients, hostLabel: Label.removeVirtualHost, restore: {} });
  }
  await behind.done();
}
