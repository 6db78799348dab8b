/**
 * The roles of the bus, and the inbox each internal one gets: small and free of imports, so
 * that a client (an agent among them) learns its inbox prefix without loading every contract.
 */
export const Role = {
  orchestrator: 'orchestrator',
  vnfm: 'vnfm',
  vimAdapter: 'vim-adapter',
  /** one identity per node, minted by the VIM adapter; `{{name()}}` is the node id */
  agent: 'agent',
  /** vnfctl and any operator's client: requests to the AO, events and traces */
  devops: 'devops',
  /** dashboards and auditors: the AO's reads, events and traces, nothing that changes anything */
  observer: 'observer',
  /** the launcher: everything, JetStream's purge and delete included */
  admin: 'admin',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Replies to internal roles come to their own inboxes, which no other role may read. */
export function inboxPrefix(role: string | undefined): string | undefined {
  return role && INTERNAL.has(role) ? `_INBOX_${role.replace(/-/g, '_')}` : undefined;
}
const INTERNAL = new Set<string>([Role.orchestrator, Role.vnfm, Role.vimAdapter]);
