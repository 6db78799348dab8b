import { Descriptor, Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode } from './add-node.js';
import type { Saga } from './saga.js';

/**
 * Deployment, as shared/sequences/deployment.wsd draws it. The opening `DevOps->AO:
 * request\nupdate` was recorded when the request was accepted; the closing `AO->DevOps: notify`
 * is the operation's completion, sent by the runner once the VNF record says so.
 */
export async function deployment(s: Saga, book: VnfBook, d: Descriptor.VnfDescriptor): Promise<void> {
  const vnf = d.name;
  const active: string[] = [];

  // loop over all clusters in sequence of dependencies
  for (const cluster of Descriptor.deploymentOrder(d)) {
    const c = cluster.name;
    await s.vnfm(`${c}/activate`, Label.activateCluster, Vnfm.Subject.clusterActivate, { vnf, spec: cluster }, { cluster: c });
    await s.notify(Label.activateCluster, { cluster: c });
    active.push(c);
    // the diagram's "reconfigure client" reaches clients that exist; in dependency order none does
    // yet, so it stays empty here: a client's nodes get their providers' endpoints when created
    const clients = Descriptor.clientsOf(d, c).map((x) => x.name).filter((x) => active.includes(x));

    // loop over all cluster nodes
    for (let i = 1; i <= cluster.nodes; i++) {
      await addNode(s, book, `${c}/${i}`, { vnf, cluster, clients, hostLabel: Label.activateVirtualHost });
    }
  }
}
