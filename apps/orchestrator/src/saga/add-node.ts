import { Descriptor, Label, Vim, Vnfm } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { removeNode, type RemoveNode } from './remove-node.js';
import type { Saga } from './saga.js';

export interface AddNode {
  vnf: string;
  cluster: Descriptor.ClusterSpec;
  /** the clusters that depend on this one and exist already */
  clients: string[];
  zone?: string;
  /** the application to run; default: the cluster's current one, as the VNF record has it */
  app?: Descriptor.AppSpec;
  /** `activate virtual host` in deployment and scale-out, `activate new virtual host` elsewhere */
  hostLabel: string;
}

/**
 * "add new node to cluster", as deployment, scale-out, healing, upgrade and migrate draw it:
 * activate (new) virtual host, activate application, scale-out cluster, reconfigure each client.
 * `k` makes the step keys unique within the operation. Returns the new node's id.
 */
export async function addNode(s: Saga, book: VnfBook, k: string, a: AddNode): Promise<string> {
  const { vnf } = a;
  const cluster = a.cluster.name;
  const node = await s.local(`${k}/id`, 'choose node id', { cluster }, () => book.newNodeId(vnf, cluster));
  const meta = { cluster, node };
  // undone by removing the node again, however far it got: the node is the new one, so its host
  // is a plain `remove virtual host`, not the diagrams' `remove old virtual host`
  const undo: RemoveNode = { vnf, cluster, clients: a.clients, pick: Vnfm.Pick.node, node, hostLabel: Label.removeVirtualHost, partial: true };
  s.onUndo(`remove ${node}`, () => removeNode(s, book, `undo/${k}`, undo));

  // the AO's record knows the version that runs now (an upgrade changes it), so it always says
  const spec = a.app ?? a.cluster.app;
  // a docker host runs the image of the application it is for (an upgrade's new one, say)
  const image = spec.image ? { image: spec.image } : {};
  // and within the cluster's limits, where its zone's driver enforces them
  const limits = { ...a.cluster.resources };
  const where = { vnf, cluster, node, zone: a.zone ?? a.cluster.zone, ...image, ...limits };
  const host = await s.vim<Vim.HostInfo>(`${k}/host`, a.hostLabel, Vim.Subject.hostActivate, where, meta);
  await s.notify(a.hostLabel, meta, { address: host.address, zone: host.zone });

  const appTimeout = (a.cluster.health?.timeoutMs ?? 30_000) + 15_000;
  // as this kind of host runs it: a docker host takes the app's `docker` command, args and cwd
  const run = Descriptor.appOnHost(spec, host.driver);
  const activate: Vnfm.AppActivate = { vnf, cluster, node, address: host.address, zone: host.zone, app: run };
  const app = await s.vnfm<Vnfm.AppActivateReply>(`${k}/app`, Label.activateApplication, Vnfm.Subject.appActivate, activate, meta, appTimeout);
  await s.notify(Label.activateApplication, meta, { version: app.endpoint.version });

  // the reply's full membership is not kept in the record: nothing here reads it, and a record
  // holding every join's membership grows with the square of the cluster's size (bench/scale: a
  // cluster of 150 made the deployment's record pass NATS's 1 MB message limit)
  const size = (r: Vnfm.MembersReply) => ({ cluster: r.cluster, members: r.members.length });
  await s.vnfm<Vnfm.MembersReply>(`${k}/join`, Label.scaleOutCluster, Vnfm.Subject.clusterScaleOut, { vnf, cluster, node }, meta, undefined, size);
  // the AO's record agrees with the cluster before the diagram's notify
  await s.local(`${k}/record`, 'record node', meta, () => book.addNode(vnf, { ...app.endpoint, cluster, zone: host.zone }));
  await s.notify(Label.scaleOutCluster, meta);

  // loop over all clients
  for (const client of a.clients) {
    const reconfigure: Vnfm.ClientReconfigure = { vnf, cluster: client, provider: cluster };
    await s.vnfm(`${k}/client/${client}`, Label.reconfigureClient, Vnfm.Subject.clientReconfigure, reconfigure, { cluster: client, node });
  }
  return node;
}
