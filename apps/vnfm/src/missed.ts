/** a node that missed a reconfiguration is told again at most this often (at its heartbeats) */
const RETELL_MS = 1_000;

/**
 * Nodes that did not answer a reconfiguration: their agent was dead or starting again, and the
 * VNFM went on without them (RECONFIGURE.tolerateGone). An agent started again keeps the
 * membership and endpoints of its state file, so without a word it would hold the old ones
 * until the next change. Each is told again once it beats, until that succeeds.
 */
export class MissedReconfigurations {
  private readonly nodes = new Map<string, { vnf: string; cluster: string; toldAt: number; telling: boolean }>();

  note(vnf: string, cluster: string, node: string): void {
    this.nodes.set(node, { vnf, cluster, toldAt: 0, telling: false });
  }

  /**
   * The node's cluster, when it missed one, is not being told now and was not told within
   * RETELL_MS: a busy agent's heartbeats must not queue one retell after another. The caller
   * says `told` (or `done`) when the attempt ends.
   */
  due(node: string, now = Date.now()): { vnf: string; cluster: string } | undefined {
    const m = this.nodes.get(node);
    if (!m || m.telling || now - m.toldAt < RETELL_MS) return undefined;
    m.telling = true;
    return { vnf: m.vnf, cluster: m.cluster };
  }

  /** an attempt that did not get through: again at a heartbeat after RETELL_MS */
  told(node: string, now = Date.now()): void {
    const m = this.nodes.get(node);
    if (m) Object.assign(m, { telling: false, toldAt: now });
  }

  /** told, or no longer a node to tell (its application destroyed) */
  done(node: string): void {
    this.nodes.delete(node);
  }

  get size(): number {
    return this.nodes.size;
  }
}
