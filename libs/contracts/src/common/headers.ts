import { createHash } from 'node:crypto';

/** NATS headers carried by every internal request and recorded action. */
export const Header = {
  /** operation id: every message of one algorithm run carries it */
  op: 'Vnf-Op',
  /** idempotency key of the step within the operation */
  step: 'Vnf-Step',
  /**
   * `1` on a step sent again: an earlier attempt may have done the work and died before its
   * reply, so a receiver that finds it done draws the arrows that attempt could not finish
   */
  again: 'Vnf-Again',
} as const;

export const IN_FLIGHT_PREFIX = 'vnf.in-flight';

/**
 * While a service works on a request that carries a step key, it answers on this subject, so
 * that the sender can tell "still working" from "died with the request in hand" (no responders)
 * long before the request's timeout. The request's own subject (less `vnf.`) comes first, so that
 * access control gives each receiver only its own in-flight subjects (an agent: its node's); the
 * last token is a hash, since step keys hold `/` and ids.
 */
export const inFlightSubject = (subject: string, step: string): string =>
  `${IN_FLIGHT_PREFIX}.${subject.replace(/^vnf\./, '')}.${createHash('sha1').update(`${subject} ${step}`).digest('hex')}`;

/**
 * A receiver answers on the in-flight subject once it has worked `afterMs` on a request (most are
 * answered sooner, and need none); senders probe no more often than `minProbeMs`.
 */
export const InFlight = { afterMs: 20, minProbeMs: 100 } as const;

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
export const TOKEN_PATTERN = '^[a-z][a-z0-9-]{0,62}$';
export const TOKEN_RE = new RegExp(TOKEN_PATTERN);

/**
 * NATS service discovery (ADR-32): `$SRV.PING|INFO|STATS[.<name>[.<id>]]`, answered by the
 * orchestrator, the VNFM and the VIM adapter (`nats micro ls`).
 */
export const SRV_PREFIX = '$SRV';
export const SRV_ALL = `${SRV_PREFIX}.>`;
/**
 * What a service named `name` subscribes to answer discovery: the verbs alone, and the verbs with
 * its own name (and any of its instance ids), never another service's: it cannot answer for one.
 */
export const srvOf = (name: string): string[] => [`${SRV_PREFIX}.*`, `${SRV_PREFIX}.*.${name}`, `${SRV_PREFIX}.*.${name}.*`];
