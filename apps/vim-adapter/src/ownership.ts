import type { Records } from '@vnf-lcm/contracts';
import type { HostInfo } from './drivers/driver.js';

/** What the orchestrator's records claim, as of one vnf-get of each VNF that has hosts. */
export interface Owners {
  /** node ids that some VNF record lists */
  nodes: Set<string>;
  /** VNFs with a running operation: it may be creating or removing hosts right now */
  busy: Set<string>;
}

export function ownersOf(vnfs: Records.VnfRecord[]): Owners {
  const nodes = new Set<string>();
  const busy = new Set<string>();
  for (const v of vnfs) {
    if (v.activeOp) busy.add(v.name);
    for (const list of Object.values(v.nodes ?? {})) for (const n of list) nodes.add(n.node);
  }
  return { nodes, busy };
}

/**
 * A host is owned when a record lists its node, when its VNF has an operation running, or when
 * it is younger than the grace period (its creator may not have written its record yet). An
 * unreadable creation time is no proof of youth: such a host still gets the whole grace period
 * as an orphan before it is removed.
 */
export function isOwned(host: HostInfo, owners: Owners, now: number, graceMs: number): boolean {
  if (owners.nodes.has(host.node) || owners.busy.has(host.vnf)) return true;
  const created = Date.parse(host.createdAt);
  return Number.isFinite(created) && now - created < graceMs;
}
