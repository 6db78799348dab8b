import { Label } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode } from './add-node.js';
import type { Saga } from './saga.js';

export type ScaleParams = {
  cluster: string;
  /** node count when the request was accepted, and the count to reach */
  from: number;
  to: number;
};

/** Scale-Out, as shared/sequences/scale-out.wsd draws it. */
export async function scaleOut(s: Saga, book: VnfBook, p: ScaleParams): Promise<void> {
  const { v, spec, clients } = await book.cluster(s.record.vnf, p.cluster);

  // loop until required capacity is reached
  for (let i = 1; i <= p.to - p.from; i++) {
    await addNode(s, book, `${i}`, { vnf: v.name, cluster: spec, clients, hostLabel: Label.activateVirtualHost });
  }
}
