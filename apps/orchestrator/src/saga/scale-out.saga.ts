import { Descriptor, Label } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode } from './add-node.js';
import type { Saga } from './saga.js';

export interface ScaleParams {
  cluster: string;
  /** node count when the request was accepted, and the count to reach */
  from: number;
  to: number;
}

/** Scale-Out, as shared/sequences/scale-out.wsd draws it. */
export async function scaleOut(s: Saga, book: VnfBook, p: ScaleParams): Promise<void> {
  const v = (await book.get(s.record.vnf))!;
  const cluster = v.descriptor.clusters.find((c) => c.name === p.cluster)!;
  const clients = Descriptor.clientsOf(v.descriptor, p.cluster).map((c) => c.name);

  // loop until required capacity is reached
  for (let i = 1; i <= p.to - p.from; i++) {
    const node = await s.local(`${i}/id`, 'choose node id', { cluster: p.cluster }, () => book.newNodeId(v.name, p.cluster));
    await addNode(s, book, `${i}`, { vnf: v.name, cluster, node, clients, hostLabel: Label.activateVirtualHost });
  }
}
