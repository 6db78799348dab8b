import type { VnfBook } from '../records/vnf-book.js';
import { type AddNode, addNode, NodesAhead, ROLLING_AHEAD } from './add-node.js';
import { RemovalsBehind, type RemoveNode } from './remove-node.js';
import type { Saga } from './saga.js';

/**
 * The loop upgrade.wsd and migrate.wsd share: `count` times, a new node joins and serves, then an
 * old one leaves, so capacity never drops. The next new node's host is activated while this
 * one's old node leaves (ADR 25), and the old node's host is removed while the next new node
 * joins (ADR 33). Step keys `<i>/new` and `<i>/old`.
 */
export async function replaceNodes(s: Saga, book: VnfBook, count: number, add: AddNode, old: RemoveNode): Promise<void> {
  const keys = Array.from({ length: count }, (_, i) => `${i + 1}/new`);
  // the cluster keeps its old nodes until the new ones serve: an application ahead finds members
  const ahead = new NodesAhead(s, book, keys, add, { window: ROLLING_AHEAD, apps: true });
  const behind = new RemovalsBehind(s, book);
  for (let i = 1; i <= count; i++) {
    // add new node to cluster
    await addNode(s, book, `${i}/new`, add, ahead.node(i - 1));
    // remove old node from cluster
    await behind.remove(`${i}/old`, old);
  }
  await behind.done();
}
