import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { answer, errorBodyOf } from '@vnf-lcm/bus/wire';
import * as Agent from '@vnf-lcm/contracts/agent';
import { Header } from '@vnf-lcm/contracts/common';
import type { AppManager } from './app-manager.js';
import { check } from './checks.js';
import type { AgentLifecycle } from './lifecycle.js';
import type { Log } from './log.js';

type Handler = (data: unknown, op: string) => unknown;

/**
 * This node's requests, each on its own subject (the node id last, so that the node's identity
 * may answer only its own), answered in plain JSON through the bus's one request path. The
 * payload is checked against its schema before the manager sees it.
 */
export function handlers(apps: AppManager, life: AgentLifecycle, log: Log): Record<Agent.Verb, Handler> {
  const V = Agent.Verb;
  return {
    [V.appCreate]: (d, op) => apps.create(check<Agent.AppCreate>(V.appCreate, d), op),
    [V.appStart]: (d, op) => (check(V.appStart, d), apps.start(op)),
    [V.appStop]: (d, op) => (check(V.appStop, d), apps.stop(op)),
    [V.appDestroy]: (d, op) => (check(V.appDestroy, d), apps.destroy(op)),
    [V.clusterReconfigure]: (d, op) => apps.reconfigureCluster(check<Agent.ClusterReconfigure>(V.clusterReconfigure, d).members, op),
    [V.clientReconfigure]: (d, op) => {
      const p = check<Agent.ClientReconfigure>(V.clientReconfigure, d);
      return apps.reconfigureClient(p.provider, p.endpoints, op);
    },
    [V.status]: (d) => (check(V.status, d), apps.status()),
    [V.shutdown]: async (d, op) => {
      check(V.shutdown, d);
      log.info({ op }, 'shutdown requested');
      await life.stopApp(op);
      life.exitSoon();
      return {};
    },
  };
}

/** Subscribes every verb's subject; resolves once the server knows them all. */
export async function serve(nc: NatsConnection, node: string, table: Record<Agent.Verb, Handler>, log: Log): Promise<Subscription[]> {
  const errorBody = (err: unknown) => {
    const body = errorBodyOf(err);
    // a bug, not a refusal: its stack stays here, the caller gets "internal"
    if (body.err_code === 'internal') log.error({ err }, 'handler failed');
    return body;
  };
  const subs = Object.entries(table).map(([verb, handle]) => {
    const run = (data: unknown, msg: Msg) => handle(data, msg.headers?.get(Header.op) || 'none');
    return nc.subscribe(Agent.subject(verb as Agent.Verb, node), { callback: (_e, msg) => void answer(nc, msg, run, { errorBody }) });
  });
  await nc.flush();
  return subs;
}
