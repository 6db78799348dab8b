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

/** A node whose id is chosen and whose host is active: the first half of adding it. */
export interface Prepared {
  node: string;
  host: Vim.HostInfo;
  /** its application, when that was activated ahead of its turn too (ADR 34) */
  app?: Vnfm.AppActivateReply;
}

/**
 * How many of a loop's nodes get their host ahead of their turn (ADR 25), and their application
 * where the loop allows (ADR 34: not in a deployment or a scale-out from zero): a host (a process
 * or a container, then its agent) and an application's start are the slow part of adding a node,
 * and neither needs the nodes before it; a node serves nobody until it joins. 1: one node at a
 * time, as the diagrams draw it.
 */
export const HOSTS_AHEAD = Math.max(1, Number(process.env.AO_HOSTS_AHEAD ?? 4));
/**
 * In a rolling replacement (upgrade, migrate) one node ahead: the next new node's host and
 * application, while this one's old node leaves. More would hold more hosts than the cluster
 * needs for longer.
 */
export const ROLLING_AHEAD = Math.min(HOSTS_AHEAD, 2);

/**
 * The first half of "add new node to cluster": its id and `activate (new) virtual host`. The undo
 * that removes the node again is registered as soon as it has an id, however far it then gets:
 * the node is a new one, so its host is a plain `remove virtual host`, not `remove old virtual host`.
 */
export async function prepareNode(s: Saga, book: VnfBook, k: string, a: AddNode, idChosen = () => undefined as void): Promise<Prepared> {
  const { vnf } = a;
  const cluster = a.cluster.name;
  const node = await s.local(`${k}/id`, 'choose node id', { cluster }, () => book.newNodeId(vnf, cluster));
  idChosen();
  // every cluster's zone is in its record (ADR 26): deployment writes the default one
  const zone = a.zone ?? a.cluster.zone;
  if (!zone) throw new Error(`cluster ${cluster} of ${vnf} has no zone in its record`);
  const undo: RemoveNode = { vnf, cluster, clients: a.clients, pick: Vnfm.Pick.node, node, hostLabel: Label.removeVirtualHost, partial: true, hostZone: zone };
  s.onUndo(`remove ${node}`, () => removeNode(s, book, `undo/${k}`, undo));

  // the AO's record knows the version that runs now (an upgrade changes it), so it always says
  const spec = a.app ?? a.cluster.app;
  // a docker host runs the image of the application it is for (an upgrade's new one, say)
  const image = spec.image ? { image: spec.image } : {};
  // and within the cluster's limits, where its zone's driver enforces them
  const limits = { ...a.cluster.resources };
  const where: Vim.HostActivate = { vnf, cluster, node, ...image, ...limits };
  const host = await s.vim<Vim.HostInfo>(`${k}/host`, a.hostLabel, Vim.subject(Vim.Verb.hostActivate, zone), where, { cluster, node });
  return { node, host };
}

/** activate application: the node's application created and started on its host, not yet a member */
async function activateApp(s: Saga, k: string, a: AddNode, { node, host }: Prepared): Promise<Vnfm.AppActivateReply> {
  const { vnf } = a;
  const cluster = a.cluster.name;
  const spec = a.app ?? a.cluster.app;
  const appTimeout = (a.cluster.health?.timeoutMs ?? 30_000) + 15_000;
  // as this kind of host runs it: a docker host takes the app's `docker` command, args and cwd
  const run = Descriptor.appOnHost(spec, host.driver);
  const activate: Vnfm.AppActivate = { vnf, cluster, node, address: host.address, zone: host.zone, app: run };
  return s.vnfm<Vnfm.AppActivateReply>(`${k}/app`, Label.activateApplication, Vnfm.Subject.appActivate, activate, { cluster, node }, appTimeout);
}

export interface Ahead {
  /** how many nodes ahead of their turn: HOSTS_AHEAD unless said */
  window?: number;
  /**
   * Their applications too (ADR 34), which serve nobody until their node joins. Only where the
   * cluster has recorded nodes that stay while they start, as it would have had in their turn: an
   * application that bootstraps from its members must not see none (a second cluster) or only
   * the dead node it replaces.
   */
  apps?: boolean;
}

/**
 * The nodes of a loop, `keys` in loop order, each prepared up to `window` nodes ahead of its
 * turn: its host, and its application where `apps` says. Ids are chosen one after the other, so
 * the nodes are numbered in loop order.
 */
export class NodesAhead {
  private readonly started: Promise<Prepared>[] = [];
  private ids: Promise<unknown> = Promise.resolve();
  private readonly window: number;

  constructor(
    private readonly s: Saga,
    private readonly book: VnfBook,
    private readonly keys: string[],
    private readonly a: AddNode,
    private readonly o: Ahead = {},
  ) {
    this.window = o.window ?? HOSTS_AHEAD;
  }

  /** node `i`'s preparation, started now (with the next ones, up to the window) if it was not */
  node(i: number): Promise<Prepared> {
    for (let j = i; j < Math.min(i + this.window, this.keys.length); j++) this.started[j] ??= this.start(j);
    return this.started[i];
  }

  private start(j: number): Promise<Prepared> {
    return this.s.early(async () => {
      // the id step alone waits for the one before it; the hosts then start side by side
      const turn = this.ids;
      let chosen!: () => void;
      this.ids = new Promise<void>((r) => (chosen = r));
      await turn;
      let prepared: Prepared;
      try {
        prepared = await prepareNode(this.s, this.book, this.keys[j], this.a, chosen);
      } finally {
        chosen();
      }
      // a window of one is the diagrams' literal order: the host's notify comes before the application
      const app = this.o.apps && this.window > 1;
      return app ? { ...prepared, app: await activateApp(this.s, this.keys[j], this.a, prepared) } : prepared;
    });
  }
}

/**
 * "add new node to cluster", as deployment, scale-out, healing, upgrade and migrate draw it:
 * activate (new) virtual host, activate application, scale-out cluster, reconfigure each client.
 * `k` makes the step keys unique within the operation; `prepared`, the node's first half when it
 * was started ahead of its turn. Returns the new node's id.
 */
export async function addNode(s: Saga, book: VnfBook, k: string, a: AddNode, prepared?: Promise<Prepared>): Promise<string> {
  const { vnf } = a;
  const cluster = a.cluster.name;
  const p = prepared ? await s.take(prepared, `${k}/host`) : await prepareNode(s, book, k, a);
  const { node, host } = p;
  const meta = { cluster, node };
  await s.notify(a.hostLabel, meta, { address: host.address, zone: host.zone });

  const app = p.app ? await s.take(Promise.resolve(p.app), `${k}/app`) : await activateApp(s, k, a, p);
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
