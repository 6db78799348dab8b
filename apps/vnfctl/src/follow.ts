import type { NatsConnection } from '@nats-io/transport-node';
import { Events, Records } from '@vnf-lcm/contracts';

export interface Progress {
  /** resolves with the operation's last state: final, or FAILED_TEMP */
  done: Promise<Records.OpState>;
  stop(): void;
}

const ENDS: string[] = [...Records.FINAL_STATES, Records.OpState.failedTemp];

/**
 * Follows one VNF's events from before the request is sent, so that no step is missed; events of
 * other operations are dropped once the op id is known.
 */
export function followVnf(nc: NatsConnection, vnf: string, onEvent: (e: Events.Event) => void) {
  let op: string | undefined;
  const early: Events.Event[] = [];
  let resolve!: (s: Records.OpState) => void;
  const done = new Promise<Records.OpState>((r) => (resolve = r));
  const handle = (e: Events.Event) => {
    if (e.op !== op) return;
    onEvent(e);
    if (e.step === 'operation' && ENDS.includes(e.state)) resolve(e.state as Records.OpState);
  };
  const sub = nc.subscribe(`${Events.SubjectPrefix}.${vnf}.*`, {
    callback: (err, m) => {
      if (err) return;
      const e = m.json<Events.Event>();
      if (op === undefined) early.push(e);
      else handle(e);
    },
  });
  return {
    /** the op id is known: replay what came early, then follow */
    track(id: string): Progress {
      op = id;
      early.splice(0).forEach(handle);
      return { done, stop: () => sub.unsubscribe() };
    },
    stop: () => sub.unsubscribe(),
  };
}
