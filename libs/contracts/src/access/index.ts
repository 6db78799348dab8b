import * as Agent from '../agent/index.js';
import * as Deploy from '../deploy/index.js';
import * as Events from '../events/index.js';
import * as Lifecycle from '../lifecycle/index.js';
import * as Query from '../query/index.js';
import * as Trace from '../trace/index.js';
import * as Vim from '../vim/index.js';
import * as Vnfm from '../vnfm/index.js';
import { IN_FLIGHT_PREFIX, SRV_ALL, srvOf } from '../common/headers.js';
import { inboxPrefix, Role } from './roles.js';

/**
 * Who may publish and subscribe to what: the one table the server's permissions are generated
 * from (libs/auth) and docs/security.md shows. Everything not granted here is refused by the
 * server with a permissions violation. Each grant is built from the contracts' own constants.
 */
export { inboxPrefix, Role };

export interface Grant {
  /** subjects the role may publish to (requests included) */
  pub: string[];
  /** subjects the role may subscribe to */
  sub: string[];
  /** may answer the requests it receives (NATS `allow_responses`: one reply each) */
  responds: boolean;
  /** what the role is for, for docs/security.md */
  why: string;
}

/** Stands for the node id in an agent's grant: NATS fills it in from the user JWT's name. */
export const NODE = '{{name()}}';

const inbox = (role: Role) => `${inboxPrefix(role)}.>`;

/** JetStream API subjects to use a stream: `write` = create it if missing; never update, purge or delete. */
function stream(name: string, o: { create?: boolean; read?: boolean; cleanup?: boolean }): string[] {
  const api = '$JS.API';
  const s = [`${api}.STREAM.INFO.${name}`];
  if (o.create) s.push(`${api}.STREAM.CREATE.${name}`);
  if (o.read)
    s.push(
      `${api}.STREAM.MSG.GET.${name}`,
      `${api}.DIRECT.GET.${name}`,
      `${api}.DIRECT.GET.${name}.>`,
      `${api}.CONSUMER.CREATE.${name}`,
      `${api}.CONSUMER.CREATE.${name}.>`,
      `${api}.CONSUMER.INFO.${name}.>`,
      `${api}.CONSUMER.MSG.NEXT.${name}.>`,
      `$JS.ACK.${name}.>`,
    );
  if (o.cleanup) s.push(`${api}.CONSUMER.DELETE.${name}.>`);
  return s;
}
/** A KV bucket its owner creates, reads and writes (compare-and-set is a publish with a header). */
const bucket = (b: string) => [...stream(`KV_${b}`, { create: true, read: true, cleanup: true }), `$KV.${b}.>`];
const JS_INFO = '$JS.API.INFO';

/** where each service writes its trace arrows and the AO its events; every service may create both */
const TRACE_WRITE = [`${Trace.SubjectPrefix}.>`, ...stream(Trace.STREAM, { create: true }), ...stream(Events.STREAM, { create: true }), JS_INFO];
const READ_HISTORY = [...stream(Events.STREAM, { read: true }), ...stream(Trace.STREAM, { read: true }), JS_INFO];

/** in-flight probes: whoever may send a request to a service may ask whether it still works on it */
const inFlight = (service: 'ao' | 'vim' | 'vnfm' | 'agent') => `${IN_FLIGHT_PREFIX}.${service}.>`;
const agentVerbs = (verbs: Agent.Verb[]) => verbs.map((v) => Agent.subject(v, '*'));

export const Bucket = { vnfs: 'ao-vnfs', ops: 'ao-ops', opSteps: 'ao-op-steps', cancels: 'ao-cancels', clusters: 'vnfm-clusters' } as const;
/** VIM -> keeper: forget a removed node's identity (the body carries the node's user JWT) */
export const REVOKE_SUBJECT = 'vnf.auth.node-revoke';

/** the VIM's requests in every zone (`vnf.vim.host-activate.*`), and the zone list */
const vimRequests = [...Object.values(Vim.Verb).map((v) => Vim.subject(v, '*')), Vim.ZONE_LIST];

const aoReads = Object.values(Query.Subject);
const aoAll = [Deploy.Subject, ...Object.values(Lifecycle.Subject), ...aoReads, ...Object.values(Query.Action)];

export const TABLE: Record<Role, Grant> = {
  [Role.orchestrator]: {
    why: 'answers $SRV discovery and vnf.ao.*; drives the VIM and the VNFM; owns the VNF and operation records; publishes events',
    sub: [...aoAll, `${IN_FLIGHT_PREFIX}.ao.>`, inbox(Role.orchestrator), ...srvOf(Role.orchestrator)],
    pub: [
      ...vimRequests,
      ...Object.values(Vnfm.Subject),
      inFlight('vim'),
      inFlight('vnfm'),
      `${Events.SubjectPrefix}.>`,
      ...TRACE_WRITE,
      ...stream(Trace.STREAM, { read: true, cleanup: true }),
      ...bucket(Bucket.vnfs),
      ...bucket(Bucket.ops),
      ...bucket(Bucket.opSteps),
      ...bucket(Bucket.cancels),
    ],
    responds: true,
  },
  [Role.vnfm]: {
    why: "answers $SRV discovery and vnf.vnfm.*; drives the agents; hears heartbeats and the VIM's host-down; asks the AO for healing and scaling",
    sub: [...Object.values(Vnfm.Subject), `${IN_FLIGHT_PREFIX}.vnfm.>`, Agent.HEARTBEAT_ALL, Vim.HOST_DOWN_ALL, inbox(Role.vnfm), ...srvOf(Role.vnfm)],
    pub: [
      ...agentVerbs([
        Agent.Verb.appCreate,
        Agent.Verb.appStart,
        Agent.Verb.appStop,
        Agent.Verb.appDestroy,
        Agent.Verb.clusterReconfigure,
        Agent.Verb.clientReconfigure,
        Agent.Verb.status,
      ]),
      inFlight('agent'),
      Lifecycle.Subject.heal,
      Lifecycle.Subject.scaleOut,
      Lifecycle.Subject.scaleIn,
      ...TRACE_WRITE,
      ...bucket(Bucket.clusters),
    ],
    responds: true,
  },
  [Role.vimAdapter]: {
    why: 'answers $SRV discovery and vnf.vim.*; hears agents say hello; shuts agents down; says when a host died on its own; reads the VNF records of its hosts for orphans; revokes removed nodes',
    sub: [...vimRequests, `${IN_FLIGHT_PREFIX}.vim.>`, Agent.hello('*'), inbox(Role.vimAdapter), ...srvOf(Role.vimAdapter)],
    pub: [...agentVerbs([Agent.Verb.shutdown, Agent.Verb.status]), inFlight('agent'), Vim.HOST_DOWN_ALL, Query.Subject.vnfGet, REVOKE_SUBJECT, ...TRACE_WRITE],
    responds: true,
  },
  [Role.agent]: {
    why: "one node's agent: its own subjects only, its hello and heartbeats; replies to what it is asked",
    sub: [Agent.subject('*' as Agent.Verb, NODE), `${IN_FLIGHT_PREFIX}.agent.*.${NODE}.*`],
    pub: [Agent.hello(NODE), Agent.heartbeat(NODE)],
    responds: true,
  },
  [Role.devops]: {
    why: 'vnfctl and any client: every vnf.ao.* request; reads events and traces; discovers the services ($SRV)',
    sub: ['_INBOX.>', `${Events.SubjectPrefix}.>`, `${Trace.SubjectPrefix}.>`],
    pub: [...aoAll, ...READ_HISTORY, SRV_ALL],
    responds: false,
  },
  [Role.observer]: {
    why: "read-only: the AO's reads (node health included), events and traces; discovers the services ($SRV)",
    sub: ['_INBOX.>', `${Events.SubjectPrefix}.>`, `${Trace.SubjectPrefix}.>`],
    pub: [...aoReads, ...READ_HISTORY, SRV_ALL],
    responds: false,
  },
  [Role.admin]: {
    why: 'the launcher and break-glass: everything, JetStream purge and delete included',
    sub: ['>'],
    pub: ['>'],
    responds: true,
  },
};
