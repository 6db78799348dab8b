/**
 * The control subjects of a zone's hollow agents (the VIM's `hollow` driver, for scale benchmarks
 * and tests only): request/reply in JSON between the driver and the one process that simulates
 * the zone's agents. Not in the access table on purpose: hollow mode runs on an open server only
 * (one connection answers for every node, which no node identity may do).
 */
export const HollowControl = {
  /** {node, address} -> {} once the node's subjects are served (its hello follows) */
  add: (zone: string) => `vnf.hollow.${zone}.add`,
  /** {node} -> {} : the node stops quietly, as when the VIM stops its host */
  remove: (zone: string) => `vnf.hollow.${zone}.remove`,
  /** {node, silent?} -> {found} : the node dies; unless `silent` its death is published on `died` */
  kill: (zone: string) => `vnf.hollow.${zone}.kill`,
  /** {} -> {nodes: [{node, address}]} */
  list: (zone: string) => `vnf.hollow.${zone}.list`,
  /** published {node, reason} when a node dies on its own (a shutdown request, a kill) */
  died: (zone: string) => `vnf.hollow.${zone}.died`,
} as const;

export interface HollowDied {
  node: string;
  reason: string;
}
