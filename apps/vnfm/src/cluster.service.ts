import { Inject, Injectable } from '@nestjs/common';
import { afterReply, Bus, isCasConflict, KeyedLock, LOG, rpcError, type Logger } from '@vnf-lcm/bus';
import { Agent, Descriptor, isNodeIdOf, Label, type Origin, Participant, partOf, type Vnfm } from '@vnf-lcm/contracts';
import { ClusterStore, endpointsOf, key, view, type ClusterState } from './cluster.store.js';
import { Heartbeats } from './heartbeats.js';
import { Retelling } from './retell.js';
import { nodeJoined } from './metrics.js';

/**
 * A node that does not answer a reconfiguration is dead or dying: the VNFM heals it, and its
 * replacement gets the current configuration when it is created. It must not fail the others.
 */
const RECONFIGURE = { tolerateGone: true, timeoutMs: 10_000 } as const;

/** The words of the diagrams for the scale-in reconfiguration, by how the node was picked. */
const LEAVE_LABEL: Record<Vnfm.Pick, string> = {
  newest: Label.removeNodeFromCluster,
  'old-version': Label.removeOldVersionNode,
  'old-zone': Label.removeOldNode,
  // healing.wsd words its scale-in as upgrade.wsd does
  node: Label.removeOldVersionNode,
};

/** Clusters and their applications: what the VNFM does for each AO->VNFM request. */
@Injectable()
export class ClusterService {
  /** one task at a time per cluster: its record and its membership */
  private readonly lock = new KeyedLock();
  /** one task at a time per node: an activation, and a destroy of the same node, not side by side */
  private readonly nodes = new KeyedLock();
  /** nodes that missed a reconfiguration, told again at their next heartbeat (ADR 35) */
  private readonly retelling: Retelling;

  constructor(
    @Inject(ClusterStore) private readonly store: ClusterStore,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(Heartbeats) private readonly beats: Heartbeats,
    @Inject(LOG) private readonly log: Logger,
  ) {
    this.retelling = new Retelling(store, bus, this.lock, log);
    beats.onBeat = (node) => this.retelling.beat(node);
  }

  /** activate cluster: create cluster, start cluster. Both are the VNFM's own actions. */
  activate(o: Origin, req: Vnfm.ClusterActivate): Promise<Vnfm.ClusterReply> {
    const { vnf } = req;
    const name = req.spec.name;
    return this.lock.run(key(vnf, name), async () => {
      const meta = { op: o.op, cluster: name };
      await this.bus.action(Participant.vnf, { ...meta, label: Label.createCluster, step: partOf(o, 'create') }, () =>
        this.store.mutate(vnf, name, (c) => (c ? { ...c, spec: req.spec } : { vnf, name, spec: req.spec, state: 'created', nodes: [], members: [] })),
      );
      const c = await this.bus.action(Participant.vnf, { ...meta, label: Label.startCluster, step: partOf(o, 'start') }, () =>
        this.store.mutate(vnf, name, (c) => (c && c.state !== 'started' ? { ...c, state: 'started' } : undefined)),
      );
      this.log.info({ op: o.op, vnf, cluster: name }, 'cluster active');
      return { cluster: view(c!, (n) => this.beats.seen(n)) };
    });
  }

  /**
   * activate application: create application (with its providers' endpoints), start application.
   * The create and the node's record are made under the cluster's lock, the start (the long part:
   * until the application answers its health check) under the node's alone, so that a node's
   * application starts while the node before it joins (ADR 34).
   */
  activateApp(o: Origin, req: Vnfm.AppActivate): Promise<Vnfm.AppActivateReply> {
    const cluster = key(req.vnf, req.cluster);
    return this.nodes.run(`${cluster}.${req.node}`, async () => {
      mustBeNodeOf(req);
      const { version, port, timeoutMs } = await this.lock.run(cluster, () => this.createApp(o, req));
      await this.bus.call(
        Participant.vnf,
        Agent.subject(Agent.Verb.appStart, req.node),
        {},
        { op: o.op, node: req.node, cluster: req.cluster, label: Label.startApplication, step: partOf(o, 'start'), timeoutMs },
      );
      // the VNFM's own bookkeeping need not delay the reply: the `running` write is queued on the
      // cluster's lock now, before the reply, and made just after the reply has left, so that the
      // next step of this node (its join) comes after it; a node whose write a crash cut off is
      // marked running when it joins
      void this.lock.run(cluster, async (hold) =>
        hold(
          afterReply()
            .then(() =>
              this.store.mutate(req.vnf, req.cluster, (cur) => ({
                ...cur!,
                nodes: cur!.nodes.map((n) => (n.node === req.node ? { ...n, state: 'running' as const } : n)),
              })),
            )
            .catch((err: Error) =>
              this.log.warn(
                { op: o.op, vnf: req.vnf, cluster: req.cluster, node: req.node, err: err.message },
                'node state not written: it is written when the node joins',
              ),
            ),
        ),
      );
      this.log.info({ op: o.op, vnf: req.vnf, cluster: req.cluster, node: req.node, version }, 'application started');
      return { node: req.node, endpoint: { node: req.node, address: req.address, port, version } };
    });
  }

  /** create application, and the node in the cluster's record ('creating'); under the cluster's lock */
  private async createApp(o: Origin, req: Vnfm.AppActivate): Promise<{ version: string; port: number; timeoutMs: number }> {
    const c = await this.store.peek(req.vnf, req.cluster);
    if (!c) throw rpcError('not_found', `unknown cluster ${req.vnf}/${req.cluster}`);
    const app = req.app ?? Descriptor.versionOf(c.spec, req.version ?? c.spec.app.version);
    if (!app) throw rpcError('not_found', `unknown version ${req.version} of ${req.cluster}`);
    if (req.version && app.version !== req.version) throw rpcError('invalid_request', `version ${req.version} differs from the app's version ${app.version}`);
    // clients reach every member on the cluster's one port (the descriptor checks the same)
    if (app.port !== c.spec.app.port) throw rpcError('invalid_request', `app port ${app.port} differs from the port of ${req.cluster} (${c.spec.app.port})`);
    const version = app.version;
    const meta = { op: o.op, node: req.node, cluster: req.cluster };
    const create: Agent.AppCreate = {
      vnf: req.vnf,
      cluster: req.cluster,
      app,
      health: c.spec.health,
      members: endpointsOf(c),
      endpoints: await this.store.providerEndpoints(c),
    };
    // the node is registered while the agent creates its application (the request leaves
    // first): both are needed before the start, neither needs the other, and a retry after a
    // crash does both again
    const both = await Promise.allSettled([
      this.bus.call(Participant.vnf, Agent.subject(Agent.Verb.appCreate, req.node), create, {
        ...meta,
        label: Label.createApplication,
        step: partOf(o, 'create'),
        // writing a few files: an agent that takes longer died with the request in hand
        timeoutMs: 5_000,
      }),
      this.store.mutate(req.vnf, req.cluster, (cur) => {
        const nodes = cur!.nodes.filter((n) => n.node !== req.node);
        return { ...cur!, nodes: [...nodes, { node: req.node, address: req.address, version, zone: req.zone, state: 'creating' }] };
      }),
    ]);
    // both settled, so that no write of this request runs on once the cluster is unlocked
    const failed = both.find((r) => r.status === 'rejected');
    if (failed) {
      // a node whose application was never created is no node of the cluster: left 'creating',
      // a scale-out naming it would make it a member
      if (both[1].status === 'fulfilled')
        await this.store
          .mutate(req.vnf, req.cluster, (cur) =>
            cur?.nodes.some((n) => n.node === req.node && n.state === 'creating') ? { ...cur, nodes: cur.nodes.filter((n) => n.node !== req.node) } : undefined,
          )
          .catch((err: Error) => this.log.warn({ op: o.op, vnf: req.vnf, cluster: req.cluster, node: req.node, err: err.message }, 'node record not removed'));
      throw failed.reason;
    }
    return { version, port: c.spec.app.port, timeoutMs: (c.spec.health?.timeoutMs ?? 30_000) + 5_000 };
  }

  /** scale-out cluster: the node joins the membership and every member learns the new list. */
  scaleOut(o: Origin, req: Vnfm.ClusterScaleOut): Promise<Vnfm.MembersReply> {
    return this.lock.run(key(req.vnf, req.cluster), async () => {
      // the check is made on the record the write is compared against; a node that joins runs its
      // application, whatever an earlier write of its state came to
      let unknown: string | undefined;
      const join = (cur: ClusterState | undefined): ClusterState | undefined => {
        if (!cur) return void (unknown = `unknown cluster ${req.vnf}/${req.cluster}`);
        const node = cur.nodes.find((n) => n.node === req.node);
        if (!node) return void (unknown = `node ${req.node} has no application in ${req.cluster}`);
        unknown = undefined;
        if (cur.members.includes(req.node) && node.state === 'running') return undefined;
        return {
          ...cur,
          nodes: cur.nodes.map((n) => (n === node ? { ...n, state: 'running' as const } : n)),
          members: cur.members.includes(req.node) ? cur.members : [...cur.members, req.node],
        };
      };
      const { value: next, stored } = await this.store.mutateAhead(req.vnf, req.cluster, join);
      if (unknown || !next) throw rpcError('not_found', unknown ?? `unknown cluster ${req.vnf}/${req.cluster}`);
      let members = endpointsOf(next);
      const tell = (c: ClusterState, label?: string) =>
        this.bus.callEach(
          Participant.vnf,
          c.members.map((n) => Agent.subject(Agent.Verb.clusterReconfigure, n)),
          { members: endpointsOf(c) } satisfies Agent.ClusterReconfigure,
          {
            op: o.op,
            cluster: req.cluster,
            node: req.node,
            label,
            step: partOf(o, 'members'),
            ...RECONFIGURE,
            gone: this.retelling.goneFrom(req.vnf, req.cluster),
          },
        );
      // the members hear the new list after the record holds it: their requests follow the write
      // on the same connection
      const [written, told] = await Promise.allSettled([stored, tell(next, Label.addNodeToCluster)]);
      if (told.status === 'rejected') throw told.reason;
      if (written.status === 'rejected') {
        if (!isCasConflict(written.reason))
          throw rpcError('unavailable', `cluster ${req.vnf}/${req.cluster} was not written: ${(written.reason as Error).message}; send the step again`);
        // another VNFM instance changed the cluster first, so the list sent came from a stale
        // copy: written again from a fresh read and sent again, without an arrow of its own (the
        // one drawn is this step's "add node to cluster"; a step sent again would draw it twice)
        const fresh = await this.store.mutate(req.vnf, req.cluster, join);
        if (unknown || !fresh) throw rpcError('not_found', unknown ?? `unknown cluster ${req.vnf}/${req.cluster}`);
        await tell(fresh);
        members = endpointsOf(fresh);
      }
      this.log.info({ op: o.op, vnf: req.vnf, cluster: req.cluster, node: req.node, members: members.map((m) => m.node) }, 'node joined cluster');
      // a healing the VNFM asked for has recovered once the replacement is a member
      nodeJoined(o.op);
      return { cluster: req.cluster, members };
    });
  }

  /** reconfigure client: every node of the client cluster gets the provider's current members. */
  async reconfigureClient(o: Origin, req: Vnfm.ClientReconfigure): Promise<Vnfm.EndpointsReply> {
    const provider = await this.mustGet(req.vnf, req.provider);
    return this.lock.run(key(req.vnf, req.cluster), async () => {
      const client = await this.mustGet(req.vnf, req.cluster);
      if (!(client.spec.dependsOn ?? []).includes(req.provider)) throw rpcError('invalid_request', `${req.cluster} is not a client of ${req.provider}`);
      const endpoints = endpointsOf(provider);
      const nodes = client.nodes.filter((n) => n.state === 'running').map((n) => n.node);
      await this.bus.callEach(
        Participant.vnf,
        nodes.map((n) => Agent.subject(Agent.Verb.clientReconfigure, n)),
        { provider: req.provider, endpoints } satisfies Agent.ClientReconfigure,
        {
          op: o.op,
          cluster: req.cluster,
          label: Label.updateServiceEndpoints,
          step: partOf(o, 'endpoints'),
          ...RECONFIGURE,
          gone: this.retelling.goneFrom(req.vnf, req.cluster),
        },
      );
      this.log.info({ op: o.op, vnf: req.vnf, cluster: req.cluster, provider: req.provider, nodes }, 'client endpoints updated');
      return { cluster: req.cluster, provider: req.provider, endpoints, nodes };
    });
  }

  /** scale-in cluster: the cluster picks the node that leaves; the remaining members learn it. */
  scaleIn(o: Origin, req: Vnfm.ClusterScaleIn): Promise<Vnfm.ScaleInReply> {
    return this.lock.run(key(req.vnf, req.cluster), async () => {
      const c = await this.mustGet(req.vnf, req.cluster);
      const step = o.step ?? o.op;
      const node = c.leaves?.find((l) => l.step === step)?.node ?? pick(c, req);
      const next = (await this.store.mutate(req.vnf, req.cluster, (cur) => ({
        ...cur!,
        members: cur!.members.filter((m) => m !== node),
        leaves: [...(cur!.leaves ?? []).filter((l) => l.step !== step), { step, node }].slice(-32),
      })))!;
      const members = endpointsOf(next);
      await this.bus.callEach(
        Participant.vnf,
        next.members.map((n) => Agent.subject(Agent.Verb.clusterReconfigure, n)),
        { members } satisfies Agent.ClusterReconfigure,
        {
          op: o.op,
          cluster: req.cluster,
          node,
          label: LEAVE_LABEL[req.pick],
          step: partOf(o, 'members'),
          ...RECONFIGURE,
          gone: this.retelling.goneFrom(req.vnf, req.cluster),
        },
      );
      this.log.info({ op: o.op, vnf: req.vnf, cluster: req.cluster, node, pick: req.pick, members: next.members }, 'node left cluster');
      return { cluster: req.cluster, node, members };
    });
  }

  /** destroy application: stop application, destroy application; a dead agent counts as stopped. */
  destroyApp(o: Origin, req: Vnfm.AppDestroy): Promise<Vnfm.AppDestroyReply> {
    const cluster = key(req.vnf, req.cluster);
    // after an activation of the same node that still runs (one the AO sent before it restarted);
    // the cluster's lock only for its record: a draining application holds up no other node's steps
    return this.nodes.run(`${cluster}.${req.node}`, async () => {
      mustBeNodeOf(req);
      await this.lock.run(cluster, async () => {
        const c = await this.mustGet(req.vnf, req.cluster);
        if (c.members.includes(req.node)) throw rpcError('conflict', `node ${req.node} is still a member of ${req.cluster}: scale it in first`);
      });
      const meta = { op: o.op, node: req.node, cluster: req.cluster, tolerateGone: true };
      const stopped = await this.bus.call(
        Participant.vnf,
        Agent.subject(Agent.Verb.appStop, req.node),
        {},
        { ...meta, label: Label.stopApplication, step: partOf(o, 'stop'), timeoutMs: 20_000 },
      );
      await this.bus.call(
        Participant.vnf,
        Agent.subject(Agent.Verb.appDestroy, req.node),
        {},
        { ...meta, label: Label.destroyApplicationOptional, step: partOf(o, 'destroy'), timeoutMs: 20_000 },
      );
      await this.lock.run(cluster, () =>
        this.store.mutate(req.vnf, req.cluster, (cur) =>
          cur!.nodes.some((n) => n.node === req.node) ? { ...cur!, nodes: cur!.nodes.filter((n) => n.node !== req.node) } : undefined,
        ),
      );
      this.beats.forget(req.node);
      this.retelling.forget(req.node);
      const reached = stopped !== undefined;
      this.log.info({ op: o.op, vnf: req.vnf, cluster: req.cluster, node: req.node, reached }, 'application destroyed');
      return { node: req.node, reached };
    });
  }

  async get(req: Vnfm.ClusterGet): Promise<Vnfm.ClusterListReply> {
    const all = req.cluster ? [await this.mustGet(req.vnf, req.cluster)] : await this.store.list(req.vnf);
    return { clusters: all.map((c) => view(c, (n) => this.beats.seen(n))) };
  }

  private async mustGet(vnf: string, cluster: string): Promise<ClusterState> {
    const c = await this.store.get(vnf, cluster);
    if (!c) throw rpcError('not_found', `unknown cluster ${vnf}/${cluster}`);
    return c;
  }
}

/** Which member leaves, by the request's rule; members are kept in the order they joined. */
function pick(c: ClusterState, req: Vnfm.ClusterScaleIn): string {
  const byId = (id: string) => c.nodes.find((n) => n.node === id);
  let found: string | undefined;
  switch (req.pick) {
    case 'node':
      found = c.nodes.some((n) => n.node === req.node) ? req.node : undefined;
      break;
    case 'newest':
      found = c.members[c.members.length - 1];
      break;
    case 'old-version':
      found = c.members.find((m) => byId(m)?.version !== req.version);
      break;
    case 'old-zone':
      found = c.members.find((m) => byId(m)?.zone !== req.zone);
      break;
  }
  if (!found) throw rpcError('not_found', `no node of ${c.name} to remove (${req.pick})`, { members: c.members });
  return found;
}

/** A request must not reach another cluster's node. */
function mustBeNodeOf(req: { vnf: string; cluster: string; node: string }): void {
  if (!isNodeIdOf(req.node, req.vnf, req.cluster)) throw rpcError('invalid_request', `node ${req.node} is not a node of ${req.vnf}/${req.cluster}`);
}
