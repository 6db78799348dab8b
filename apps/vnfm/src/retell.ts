import type { Bus, KeyedLock, Logger } from '@vnf-lcm/bus';
import { Agent, Participant } from '@vnf-lcm/contracts';
import { endpointsOf, key, type ClusterStore } from './cluster.store.js';
import { MissedReconfigurations } from './missed.js';

/**
 * Tells a node that missed a reconfiguration what it missed, at its next heartbeat (ADR 35): its
 * cluster's members (if it is one) and its providers' endpoints, as the records have them then.
 * The cluster service notes the nodes; this class owns the telling.
 */
export class Retelling {
  private readonly missed = new MissedReconfigurations();

  /** `clusters`: the cluster service's lock, so that no newer list is overtaken by a retell */
  constructor(
    private readonly store: ClusterStore,
    private readonly bus: Bus,
    private readonly clusters: KeyedLock,
    private readonly log: Logger,
  ) {}

  /** For a reconfiguration's `callEach`: the nodes it found gone (their agent did not answer) are told again later. */
  goneFrom(vnf: string, cluster: string): (subjects: string[]) => void {
    return (subjects) => {
      for (const s of subjects) {
        const node = Agent.nodeOfSubject(s);
        if (node) this.missed.note(vnf, cluster, node);
      }
    };
  }

  /** a node beat: told now if it missed something and is due */
  beat(node: string): void {
    if (this.missed.size) void this.retell(node);
  }

  /** no longer a node to tell (its application destroyed) */
  forget(node: string): void {
    this.missed.done(node);
  }

  /** under the cluster's lock; outside any operation, so without arrows */
  private async retell(node: string): Promise<void> {
    const m = this.missed.due(node);
    if (!m) return;
    try {
      const sent = await this.clusters.run(key(m.vnf, m.cluster), async () => {
        const c = await this.store.get(m.vnf, m.cluster);
        if (!c?.nodes.some((n) => n.node === node && n.state === 'running')) return false;
        const o = { op: 'none', cluster: m.cluster, node, timeoutMs: 5_000 };
        if (c.members.includes(node))
          await this.bus.call(
            Participant.vnf,
            Agent.subject(Agent.Verb.clusterReconfigure, node),
            { members: endpointsOf(c) } satisfies Agent.ClusterReconfigure,
            o,
          );
        for (const [provider, endpoints] of Object.entries(await this.store.providerEndpoints(c)))
          await this.bus.call(Participant.vnf, Agent.subject(Agent.Verb.clientReconfigure, node), { provider, endpoints } satisfies Agent.ClientReconfigure, o);
        return true;
      });
      this.missed.done(node);
      if (sent) this.log.info({ vnf: m.vnf, cluster: m.cluster, node }, 'node told again what it missed while its agent was away');
    } catch (err) {
      this.missed.told(node);
      this.log.warn(
        { vnf: m.vnf, cluster: m.cluster, node, err: (err as Error).message },
        'node that missed a reconfiguration not told yet: again at a later heartbeat',
      );
    }
  }
}
