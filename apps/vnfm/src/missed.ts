/** a node that missed a reconfiguration is told again at most this often (at its heartbeats) */
const RETELL_MS = 1_000;

/**
 * Nodes that did not answer a reconfiguration: their agent was dead or starting again, and the
 * VNFM went on without them (RECONFIGURE.tolerateGone). An agent started again keeps the
 * membership and endpoints of its state file, so without a word it would hold the old ones
 * until the next change. Each is told again once it beats, until that succeeds.
 */
export class MissedReconfigurations {
  private readonly nodes = new Map<string, { vnf: string; cluster: string; toldAt: number }>();

  note(vnf: string, cluster: string, node: string): void {
    this.nodes.set(node, { vnf, cluster, toldAt: 0 });
  }

  /** the node's cluster, when it missed one and was not told again within RETELL_MS */
  due(node: string, now = Date.now()): { vnf: string; cluster: string } | undefined {
    const m = this.nodes.get(node);
    if (!m || now - m.toldAt < RETELL_MS) return undefined;
    m.toldAt = now;
    return { vnf: m.vnf, cluster: m.cluster };
  }

  done(node: string): void {
    this.nodes.delete(node);
  }

  get size(): number {
    return this.nodes.size;
  }
}
