import type { NatsConnection } from '@nats-io/transport-node';
import { isErrorReply, Lifecycle, Query, Records, Vim, type ErrorBody } from '@vnf-lcm/contracts';

/** How often the state of an operation the teardown waits on is read. */
const POLL_MS = 250;
/** How long one request may take (the AO answers at once; the wait for the operation is apart). */
const REQUEST_MS = 5000;
/** A host's removal waits for its agent, which gives its application 10 s to stop. */
const HOST_REMOVE_MS = 20_000;

type Log = (msg: string, level?: string, fields?: Record<string, unknown>) => void;

/** A refusal by the AO, with the operation holding the VNF when it says so. */
class Refused extends Error {
  constructor(readonly error: ErrorBody) {
    super(`${error.err_code}: ${error.description}`);
  }
  /** the operation that holds the VNF, and its state (saga/conflicts.ts heldError) */
  get holder(): { op: string; state?: string } | undefined {
    const d = this.error.details as { op?: unknown; state?: unknown } | undefined;
    return typeof d?.op === 'string' ? { op: d.op, state: typeof d.state === 'string' ? d.state : undefined } : undefined;
  }
}

async function ask<T>(nc: NatsConnection, subject: string, body: object, timeout = REQUEST_MS): Promise<T> {
  const r = (await nc.request(subject, JSON.stringify(body), { timeout })).json<T>();
  if (isErrorReply(r)) throw new Refused(r.error);
  return r;
}

const pause = () => new Promise((r) => setTimeout(r, POLL_MS));

/** When the teardown stops waiting: its deadline, or sooner when the operator says so (a second Ctrl-C). */
interface Until {
  deadline: number;
  signal?: AbortSignal;
}
const over = (u: Until) => Date.now() > u.deadline || !!u.signal?.aborted;

/** The operation once it ended (or waits for an operator), or undefined when the wait is over. */
async function settled(nc: NatsConnection, op: string, until: Until): Promise<Records.OpRecord | undefined> {
  for (;;) {
    const { op: r } = await ask<Query.OpGetReply>(nc, Query.Subject.opGet, { op });
    if (Records.FINAL_STATES.includes(r.state) || r.state === Records.OpState.failedTemp) return r;
    if (over(until)) return undefined;
    await pause();
  }
}

/**
 * One VNF terminated through the AO (vnf.ao.terminate, terminate.wsd): every node leaves its
 * cluster before its host goes, so the VNFM never takes a removal for a failure. An operation
 * already running (a healing, a deployment) is waited for first; one that waits for an operator
 * (FAILED_TEMP) is failed, as the teardown's operator would, so that the VNF is free again.
 * Returns whether the VNF ended with no node.
 */
async function terminateOne(nc: NatsConnection, vnf: string, until: Until, log: Log): Promise<boolean> {
  for (;;) {
    if (over(until)) throw new Timeout('the teardown stopped waiting');
    const { vnf: v } = await ask<Query.VnfGetReply>(nc, Query.Subject.vnfGet, { vnf });
    if (v.state !== 'INSTANTIATED' && !v.activeOp) return true;
    let op: string;
    try {
      op = (await ask<Lifecycle.Reply>(nc, Lifecycle.Subject.terminate, { vnf })).op;
    } catch (err) {
      const holder = err instanceof Refused ? (err.holder ?? (v.activeOp ? { op: v.activeOp } : undefined)) : undefined;
      if (!holder) throw err;
      if (holder.state === Records.OpState.failedTemp) {
        log(`${vnf}: operation ${holder.op} waits for an operator; failing it to terminate`, 'warn', { vnf, op: holder.op });
        await ask(nc, Query.Action.fail, { op: holder.op });
        continue;
      }
      log(`${vnf}: waiting for operation ${holder.op} to end before terminating`, 'info', { vnf, op: holder.op });
      if (!(await settled(nc, holder.op, until))) throw new Timeout(`operation ${holder.op} still runs`);
      continue;
    }
    log(`${vnf}: terminating (op ${op})`, 'info', { vnf, op });
    const r = await settled(nc, op, until);
    if (!r) throw new Timeout(`termination ${op} still runs`);
    if (r.state === Records.OpState.completed) {
      log(`${vnf} terminated (op ${op})`, 'info', { vnf, op });
      return true;
    }
    log(`${vnf}: termination ${op} ended ${r.state}${r.error ? `: ${r.error.description}` : ''}`, 'error', { vnf, op, state: r.state });
    return false;
  }
}

class Timeout extends Error {}

/**
 * Every VNF terminated, all at once (one operation per VNF at a time, none across VNFs), within
 * `timeoutMs`, or until `signal` aborts. What a termination did not remove is for
 * `removeHostsLeft`, once the VNFM and the AO are stopped. Returns whether every VNF ended with no node.
 */
export async function terminateAll(nc: NatsConnection, log: Log, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const until = { deadline: Date.now() + timeoutMs, signal };
  const { vnfs } = await ask<Query.VnfListReply>(nc, Query.Subject.vnfList, {});
  const busy = vnfs.filter((v) => v.state === 'INSTANTIATED' || v.activeOp);
  const done = await Promise.all(
    busy.map((v) =>
      terminateOne(nc, v.name, until, log).catch((err: Error) => {
        if (err instanceof Timeout && signal?.aborted)
          log(`teardown: ${v.name} not terminated: Ctrl-C again stopped the wait; its hosts are removed directly`, 'warn', { vnf: v.name });
        else if (err instanceof Timeout)
          log(`teardown: ${v.name} not terminated within ${Math.round(timeoutMs / 1000)} s (${err.message}); its hosts are removed directly`, 'error', {
            vnf: v.name,
          });
        else log(`teardown: ${v.name} not terminated: ${err.message}; its hosts are removed directly`, 'error', { vnf: v.name });
        return false;
      }),
    ),
  );
  return done.every(Boolean);
}

/**
 * The hosts no termination removed (a VNF whose termination failed or timed out, a deployment
 * that never completed), removed through the VIM. Called with the VNFM and the AO stopped: no
 * healing can start for a node whose host goes here, nor a new host be made meanwhile.
 */
export async function removeHostsLeft(nc: NatsConnection, log: Log): Promise<void> {
  // every zone's, each asked of its own adapters (ADR 26)
  const hosts = await Vim.listAllHosts((subject, body) => ask(nc, subject, body));
  const failed: string[] = [];
  await Promise.all(
    hosts.map((h) =>
      ask(nc, Vim.subject(Vim.Verb.hostRemove, h.zone), { node: h.node }, HOST_REMOVE_MS).catch((err: Error) => {
        failed.push(h.node);
        log(`teardown: host of ${h.node} not removed: ${err.message}`, 'error', { node: h.node });
      }),
    ),
  );
  log(`removed ${hosts.length - failed.length} virtual hosts`, failed.length ? 'warn' : 'info', { nodes: hosts.map((h) => h.node), failed });
}
