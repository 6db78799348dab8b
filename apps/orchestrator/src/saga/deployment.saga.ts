import { Descriptor, Label, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { addNode, NodesAhead } from './add-node.js';
import type { Saga } from './saga.js';

export type DeploymentParams = {
  descriptor: Descriptor.VnfDescriptor;
};

/**
 * The clusters in the order deployment activates them (providers before their clients), each
 * with the clients its new nodes reconfigure. The diagram's "loop over all clients" reaches
 * clients that exist; in dependency order none does yet, so it runs zero times: a client's nodes
 * get their providers' endpoints when they are created.
 */
export function deploymentPlan(d: Descriptor.VnfDescriptor): { cluster: Descriptor.ClusterSpec; clients: string[] }[] {
  return Descriptor.deploymentOrder(d).map((cluster) => ({ cluster, clients: [] }));
}

/**
 * Deployment, as shared/sequences/deployment.wsd draws it. The opening `DevOps->AO:
 * request\nupdate` was recorded when the request was accepted; the closing `AO->DevOps: notify`
 * is the operation's completion, sent by the runner once the VNF record says so.
 */
export async function deployment(s: Saga, book: VnfBook, p: DeploymentParams): Promise<void> {
  const vnf = p.descriptor.name;

  // loop over all clusters in sequence of dependencies
  for (const { cluster, clients } of deploymentPlan(p.descriptor)) {
    const c = cluster.name;
    await s.vnfm(`${c}/activate`, Label.activateCluster, Vnfm.Subject.clusterActivate, { vnf, spec: cluster }, { cluster: c });
    await s.notify(Label.activateCluster, { cluster: c });

    // loop over all cluster nodes: their hosts activated ahead of their turn (ADR 25), not their
    // applications: a new cluster's next nodes would start with no member to join (ADR 34)
    const keys = Array.from({ length: cluster.nodes }, (_, i) => `${c}/${i + 1}`);
    const add = { vnf, cluster, clients, hostLabel: Label.activateVirtualHost };
    const ahead = new NodesAhead(s, book, keys, add);
    for (const [i, k] of keys.entries()) await addNode(s, book, k, add, ahead.node(i));
  }
}
