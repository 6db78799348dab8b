/**
 * A node id is `<vnf>-<cluster>-<n>`, n counted per cluster and never reused: one NATS subject
 * token per node. Names may hold `-`, so only the number is certain to be the last token, and two
 * ids can only be equal where `<vnf>-<cluster>` is.
 */
export function nodeId(vnf: string, cluster: string, n: number): string {
  return `${nodeIdPrefix(vnf, cluster)}-${n}`;
}

export function nodeIdPrefix(vnf: string, cluster: string): string {
  return `${vnf}-${cluster}`;
}

/** Whether an id has the form of a node of that cluster (the prefix, then a number). */
export function isNodeIdOf(node: string, vnf: string, cluster: string): boolean {
  const prefix = `${nodeIdPrefix(vnf, cluster)}-`;
  return node.startsWith(prefix) && /^[0-9]+$/.test(node.slice(prefix.length));
}
