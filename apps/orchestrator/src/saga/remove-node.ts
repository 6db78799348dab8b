import { BusError } from '@vnf-lcm/bus';
import { Label, Vim, Vnfm, type Descriptor, type Records } from '@vnf-lcm/contracts';
import { addNode, type AddNode, HOSTS_AHEAD } from './add-node.js';
import type { VnfBook } from '../records/vnf-book.js';
import { STEP_TIMEOUT_MS, type Saga } from './saga.js';

export interface RemoveNode {
  vnf: string;
  cluster: string;
  /** how the cluster determines the node that leaves */
  pick: Vnfm.Pick;
  node?: string;
  version?: string;
  zone?: string;
  /** the clusters that depend on this one */
  clients: string[];
  /** `remove virtual host` in scale-in, `remove old virtual host` elsewhere */
  hostLabel: string;
  /** undoing a node that may never have joined (or never got a host): skip what is not there */
  partial?: boolean;
  /** the zone of the node's host, when the record may not have the node (an undo of adding it) */
  hostZone?: string;
  /**
   * the undo puts a node back: one like the removed node (its version and zone, as the VNF
   * record had them); the application and zone named here where the record does not tell
   */
  restore?: Restore;
}

export type Restore = { app?: Descriptor.AppSpec; zone?: string };

/** What the removed node ran and where, kept with the leave's answer for its undo. */
export type Was = { version?: string; zone?: string };
type Left = Vnfm.ScaleInReply & { was?: Was };

/**
 * "remove old node from cluster", as scale-in, healing, upgrade and migrate draw it: scale-in
 * cluster (the cluster picks the node), reconfigure each client, destroy application, remove
 * (old) virtual host. Clients stop sending to the node before its application stops.
 */
export async function removeNode(s: Saga, book: VnfBook, k: string, a: RemoveNode): Promise<string> {
  const left = await leaveCluster(s, book, k, a);
  await removeHost(s, k, a, left);
  return left.node;
}

/**
 * Nodes removed one after the other, each one's host removed while the next one leaves (ADR 33):
 * once its application is destroyed, a node's host serves nothing and holds nothing the next
 * steps need. At most one host is behind; done() waits for it, the operation's end too.
 */
export class RemovalsBehind {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly s: Saga,
    private readonly book: VnfBook,
  ) {}

  /** removeNode(), but returns once the node's application is destroyed */
  async remove(k: string, a: RemoveNode): Promise<string> {
    // AO_HOSTS_AHEAD=1: the diagrams' literal order, one step after the other (ADR 25)
    if (HOSTS_AHEAD === 1) return removeNode(this.s, this.book, k, a);
    const left = await leaveCluster(this.s, this.book, k, a);
    // the host before this node's goes first: one behind at a time (and a replay that stops
    // there has registered this node's undo already, in leaveCluster)
    await this.done();
    this.last = this.s.behind(`${k}/host`, () => removeHost(this.s, k, a, left, `${k}/host`));
    return left.node;
  }

  /** the last host removed; its failure is the operation's, naming its step */
  done(): Promise<unknown> {
    return this.s.join(this.last);
  }
}

interface LeftNode {
  node: string;
  zone: string | undefined;
}

/** scale-in cluster, reconfigure each client, destroy application: all of a removal but its host */
async function leaveCluster(s: Saga, book: VnfBook, k: string, a: RemoveNode): Promise<LeftNode> {
  const { vnf, cluster } = a;

  // the cluster determines the node that leaves, as `pick` says (the newest, one of an old version...)
  const scaleIn: Vnfm.ClusterScaleIn = { vnf, cluster, pick: a.pick, node: a.node, version: a.version, zone: a.zone };
  // what the leaving node runs and where is read before it leaves and kept with the answer: a
  // cluster may run two versions or span two zones, and the undo puts back one like it, even
  // after a restart, once the record has dropped the node
  const members = a.restore && !s.done(`${k}/leave`) ? ((await book.get(vnf))?.nodes[cluster] ?? []) : [];
  const keep = (r: Left): Left => ({ ...r, was: r.was ?? wasOf(members.find((n) => n.node === r.node)) });
  const leave = () => s.vnfm<Left>(`${k}/leave`, Label.scaleInCluster, Vnfm.Subject.clusterScaleIn, scaleIn, { cluster, node: a.node }, undefined, keep);
  const left = keep(a.partial ? await leave().catch(notFound({ cluster, node: a.node!, members: [] })) : await leave());
  const meta = { cluster, node: left.node };
  // from here on the node is out of the cluster: its undo is registered now, so that a removal
  // that fails or is cancelled half way is finished and a node put back, not left one short
  if (a.restore) putBack(s, book, k, a, a.restore, left.node, left.was);
  // the AO's record agrees with the cluster before the diagram's notify
  // the removal's record step returns the node's zone: where its host is to be removed (ADR 26)
  const zone = (await s.local(`${k}/unrecord`, 'record node removal', meta, () => book.removeNode(vnf, cluster, left.node))) ?? left.was?.zone ?? a.hostZone;
  await s.notify(Label.scaleInCluster, meta);

  // loop over all clients
  for (const client of a.clients) {
    const reconfigure: Vnfm.ClientReconfigure = { vnf, cluster: client, provider: cluster };
    await s.vnfm(`${k}/client/${client}`, Label.reconfigureClient, Vnfm.Subject.clientReconfigure, reconfigure, { cluster: client, node: left.node });
  }

  const destroy = () =>
    s.vnfm(`${k}/app`, Label.destroyApplication, Vnfm.Subject.appDestroy, { vnf, cluster, node: left.node }, meta, STEP_TIMEOUT_MS.destroyApp);
  await (a.partial ? destroy().catch(notFound(undefined)) : destroy());
  await s.notify(Label.destroyApplication, meta);
  return { node: left.node, zone };
}

/** remove (old) virtual host; `behind`: the step's key, when it runs beside the saga's line */
async function removeHost(s: Saga, k: string, a: RemoveNode, left: LeftNode, behind?: string): Promise<void> {
  const meta = { cluster: a.cluster, node: left.node };
  await s.vim<Vim.HostRemoveReply>(`${k}/host`, a.hostLabel, hostRemove(left.zone, left.node), { node: left.node }, meta, STEP_TIMEOUT_MS.removeHost);
  await s.notify(a.hostLabel, meta, undefined, behind);
}

const wasOf = (n: Records.NodeRecord | undefined): Was | undefined => (n ? { version: n.version, zone: n.zone } : undefined);

/**
 * What a node put back in place of a removed one runs, and where: what the removed node ran
 * (its version, from the cluster's versions) and where it was; what the removal names
 * (`restore`) where that is not known (a version the cluster no longer holds, a node the record
 * did not list); else, left undefined, the cluster's own app and zone.
 */
export function putBackAs(restore: Restore, was: Was | undefined, spec: Descriptor.ClusterSpec): Restore & { unknownVersion?: string } {
  const zone = was?.zone ?? restore.zone;
  if (!was?.version) return { app: restore.app, zone };
  const app = [restore.app, spec.app, ...(spec.versions ?? [])].find((x) => x?.version === was.version);
  return app ? { app, zone } : { app: restore.app, zone, unknownVersion: was.version };
}

/**
 * The undo of a removal: what the removal did not get to is finished first (the node left the
 * cluster: it does not come back), then a new node like the one removed (its application and
 * zone) joins again.
 */
function putBack(s: Saga, book: VnfBook, k: string, a: RemoveNode, restore: Restore, removed: string, was: Was | undefined) {
  s.onUndo(`put back a node for ${removed}`, async () => {
    const { vnf, cluster } = a;
    const meta = { cluster, node: removed };
    // the zone of its host, as the removal's record step found it (or the undo's, here)
    let zone = s.recorded<string>(`${k}/unrecord`) ?? s.recorded<string>(`undo/${k}/unrecord`);
    if (!s.done(`${k}/unrecord`)) zone = await s.local(`undo/${k}/unrecord`, 'record node removal', meta, () => book.removeNode(vnf, cluster, removed));
    if (!s.done(`${k}/app`))
      await s
        .vnfm(`undo/${k}/app`, Label.destroyApplication, Vnfm.Subject.appDestroy, { vnf, cluster, node: removed }, meta, STEP_TIMEOUT_MS.destroyApp)
        .catch(notFound(undefined));
    if (!s.done(`${k}/host`))
      await s.vim(`undo/${k}/host`, a.hostLabel, hostRemove(zone ?? was?.zone ?? a.hostZone, removed), { node: removed }, meta, STEP_TIMEOUT_MS.removeHost);
    const { spec } = await book.cluster(a.vnf, a.cluster);
    const like = putBackAs(restore, was, spec);
    if (like.unknownVersion)
      s.log.warn(
        { ...meta, version: like.unknownVersion, instead: (like.app ?? spec.app).version },
        'version of the removed node no longer known: putting back another',
      );
    const again: AddNode = { vnf: a.vnf, cluster: spec, clients: a.clients, app: like.app, zone: like.zone, hostLabel: Label.activateNewVirtualHost };
    await addNode(s, book, `undo/${k}/add`, again);
  });
}

/** For undo: a node the VNFM never heard of is a node with nothing to remove there. */
function notFound<T>(fallback: T) {
  return (err: unknown): T => {
    if (err instanceof BusError && err.err_code === 'not_found') return fallback;
    throw err;
  };
}

/** The host-remove subject of the node's zone: the record says where each node is (ADR 26). */
function hostRemove(zone: string | undefined, node: string): string {
  if (!zone) throw new Error(`the zone of node ${node} is not recorded: its host cannot be removed`);
  return Vim.subject(Vim.Verb.hostRemove, zone);
}
