import type { NatsConnection } from '@nats-io/transport-node';
import { Events, Query, Records } from '@vnf-lcm/contracts';
import { parseEvent, warnSkipped } from './event.js';

export interface Progress {
  /** resolves with the operation's last state: final, or FAILED_TEMP */
  done: Promise<Records.OpState>;
  stop(): void;
}

const ENDS: string[] = [...Records.FINAL_STATES, Records.OpState.failedTemp];
/** how often the operation record is read in case its closing event was lost */
const POLL_MS = 2000;

type Request = <T>(subject: string, payload: unknown) => Promise<T>;

/**
 * Follows one VNF's events from before the request is sent, so that no step is missed; events of
 * other operations are dropped once the op id is known. Events are plain NATS messages (at most
 * once), so the operation record is also read now and then: a lost closing event must not leave
 * `--wait` waiting forever. A message on the VNF's subjects that is no event is skipped, with a
 * line on stderr.
 */
export function followVnf(nc: NatsConnection, request: Request, vnf: string, onEvent: (e: Events.Event) => void, json = false) {
  let op: string | undefined;
  const early: Events.Event[] = [];
  let resolve!: (s: Records.OpState) => void;
  const done = new Promise<Records.OpState>((r) => (resolve = r));
  const handle = (e: Events.Event) => {
    if (e.op !== op) return;
    onEvent(e);
    if (e.step === 'operation' && ENDS.includes(e.state)) resolve(e.state as Records.OpState);
  };
  // a name that is no subject token (`Bad Name`) cannot be followed; the AO refuses it anyway
  const sub = /^[^\s.*>]+$/.test(vnf)
    ? nc.subscribe(`${Events.SubjectPrefix}.${vnf}.*`, {
        callback: (err, m) => {
          if (err) return;
          // a message that is no event is skipped (and said so), never a crash of --wait
          const p = parseEvent(m.data);
          if ('bad' in p) return warnSkipped(p.bad, { subject: m.subject }, json);
          const e = p.event;
          if (op === undefined) early.push(e);
          else handle(e);
        },
      })
    : undefined;
  let poll: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearTimeout(poll);
    sub?.unsubscribe();
  };
  return {
    /** the op id is known: replay what came early, then follow */
    track(id: string): Progress {
      op = id;
      early.splice(0).forEach(handle);
      const check = async () => {
        try {
          const { op: r } = await request<Query.OpGetReply>(Query.Subject.opGet, { op: id });
          // let a closing event that is on its way be printed first
          if (ENDS.includes(r.state)) return void setTimeout(() => resolve(r.state), 200);
        } catch {
          /* the AO may be restarting: keep following */
        }
        if (!stopped) poll = setTimeout(check, POLL_MS);
      };
      poll = setTimeout(check, POLL_MS);
      return { done, stop };
    },
    stop,
  };
}
