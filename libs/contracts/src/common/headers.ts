/** NATS headers carried by every internal request and recorded action. */
export const Header = {
  /** operation id: every message of one algorithm run carries it */
  op: 'Vnf-Op',
  /** idempotency key of the step within the operation */
  step: 'Vnf-Step',
} as const;

/** The participants of the sequence diagrams, spelled as the diagrams spell them. */
export const Participant = {
  devops: 'DevOps',
  ao: 'AO',
  vim: 'VIM',
  vnfm: 'VNFM',
  vnf: 'VNF',
} as const;
export type Participant = (typeof Participant)[keyof typeof Participant];

/** Names that become subject tokens (vnf, cluster, node, zone): NATS ADR-6 lowercase tokens. */
export const TOKEN_RE = /^[a-z][a-z0-9-]{0,62}$/;
