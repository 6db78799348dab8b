import type { NatsConnection } from '@nats-io/transport-node';
import { Query, Vim, Vnfm } from '@vnf-lcm/contracts';

/**
 * Waiting until services answer: the launcher before it says "services up", the test System and
 * the benchmarks' System before their first request. One copy here (issue 14) rather than a loop
 * in each.
 *
 * A service is up once it answers a harmless read on one of its own subjects: that proves it is
 * connected AND its handlers are subscribed. `$SRV.PING` would prove less: the discovery responder
 * subscribes apart from the service's transport, and an agent's identity may not use it at all.
 * Any reply counts, an error reply included (`cluster-get` of a VNF nobody deployed answers
 * not_found): what is waited for is someone answering, not a particular answer.
 */

/** One service and the harmless read it answers once it is up. */
export interface Probe {
  /** the name said when it never answers */
  readonly service: string;
  readonly subject: string;
  readonly body: unknown;
}

/** The three services every vnf-lcm runs: orchestrator (AO), VNFM and VIM adapter. */
export const CORE_PROBES = [
  { service: 'orchestrator', subject: Query.Subject.vnfList, body: { limit: 1 } },
  { service: 'vnfm', subject: Vnfm.Subject.clusterGet, body: { vnf: 'probe' } },
  { service: 'vim-adapter', subject: Vim.ZONE_LIST, body: {} },
] as const satisfies readonly Probe[];

export const READY_DEFAULTS = {
  timeoutMs: 60_000,
  /** how long one probe waits for its reply: a service busy starting may take a while */
  requestTimeoutMs: 1000,
  /** between a probe's tries: "no responders" comes back at once, so this is the pace */
  intervalMs: 100,
} as const;

export type ReadyOptions = Partial<Record<keyof typeof READY_DEFAULTS, number>>;

/** The deadline passed and these services never answered; `last` holds each one's last error. */
export class ServicesNotReadyError extends Error {
  constructor(
    readonly silent: readonly Probe[],
    readonly last: ReadonlyMap<string, string>,
    readonly timeoutMs: number,
  ) {
    const each = silent.map((p) => `${p.service} (${p.subject}: ${last.get(p.service) ?? 'no try'})`);
    super(`no answer in ${timeoutMs} ms from ${each.join(', ')}`);
    this.name = 'ServicesNotReadyError';
  }
  /** the names of the services that never answered */
  get services(): string[] {
    return this.silent.map((p) => p.service);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once every probe has had a reply; the probes are tried side by side, so the wait is as
 * long as the slowest service, and when the deadline passes the error names every service still
 * silent (not just the first). A closed connection fails at once with the client's own error: no
 * reply can come on it.
 */
export async function waitForServices(nc: NatsConnection, probes: readonly Probe[] = CORE_PROBES, o: ReadyOptions = {}): Promise<void> {
  const { timeoutMs, requestTimeoutMs, intervalMs } = { ...READY_DEFAULTS, ...o };
  const deadline = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  const answered = await Promise.all(
    probes.map(async (p) => {
      const body = JSON.stringify(p.body);
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        try {
          await nc.request(p.subject, body, { timeout: Math.min(requestTimeoutMs, left) });
          return true;
        } catch (err) {
          if (nc.isClosed()) throw err;
          last.set(p.service, (err as Error).message);
        }
        await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
      }
    }),
  );
  const silent = probes.filter((_, i) => !answered[i]);
  if (silent.length) throw new ServicesNotReadyError(silent, last, timeoutMs);
}
