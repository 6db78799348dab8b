import { Label } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode, NodesAhead } from './add-node.js';
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

  // loop until required capacity is reached: the hosts activated ahead of their turn (ADR 25),
  // their applications too when the cluster has members already (ADR 34)
  const keys = Array.from({ length: p.to - p.from }, (_, i) => `${i + 1}`);
  const add = { vnf: v.name, cluster: spec, clients, hostLabel: Label.activateVirtualHost };
  const ahead = new NodesAhead(s, book, keys, add, { apps: p.from > 0 });
  for (const [i, k] of keys.entries()) await addNode(s, book, k, add, ahead.node(i));
}
