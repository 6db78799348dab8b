import { Inject, Injectable } from '@nestjs/common';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { jsReplicas, LOG, NATS, type Logger } from '@vnf-lcm/bus';
import { Trace } from '@vnf-lcm/contracts';

/**
 * On a cluster, a server killed leaves for a while streams without a leader (no answer until an
 * election, 4 to 9 s each on nats-server 2.9), and JetStream may place the reading consumer on
 * the dead server, not yet seen as gone (some 20 s): its creation times out while another
 * attempt lands elsewhere. So short waits and a few attempts instead of one long wait
 * (docs/cluster.md).
 */
const JS_TIMEOUT_MS = 1_500;
const ATTEMPTS = 5;

/**
 * On a cluster the stream's order is not the causal order: an arrow that waited out a stream
 * without a leader is stored after arrows other services recorded later (docs/cluster.md). Each
 * arrow carries the time it was recorded, and the order of those times is the causal order on
 * one machine and, across machines, as far as their clocks agree (NTP).
 */
const recordedAt = (e: Trace.Entry) => e.at ?? Date.parse(e.ts);

/** Reads an operation's recorded arrows back from the trace stream, while it runs or after. */
@Injectable()
export class TraceService {
  private readonly byTime = jsReplicas() > 1;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  async entries(op: string): Promise<Trace.Entry[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const entries = await this.read(Trace.subject(op));
        // a stable sort: arrows of one instant keep the stream's order
        return this.byTime ? entries.sort((a, b) => recordedAt(a) - recordedAt(b)) : entries;
      } catch (err) {
        if (attempt >= ATTEMPTS || !/timeout/i.test((err as Error).message)) throw err;
        this.log.warn({ op, attempt, err: (err as Error).message }, 'trace not read: reading it again');
      }
    }
  }

  private async read(subject: string): Promise<Trace.Entry[]> {
    const jsm = await jetstreamManager(this.nc, { timeout: JS_TIMEOUT_MS });
    const info = await jsm.streams.info(Trace.STREAM, { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return [];
    const js = jetstream(this.nc, { timeout: JS_TIMEOUT_MS });
    const c = await js.consumers.get(Trace.STREAM, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
    const out: Trace.Entry[] = [];
    try {
      while (out.length < count) {
        const batch = await c.fetch({ max_messages: Math.min(1000, count - out.length), expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          out.push(m.json<Trace.Entry>());
          got++;
        }
        if (got === 0) break;
      }
    } finally {
      // read once: left alone, the server would keep it for 5 minutes, one per request
      await c.delete().catch(() => undefined);
    }
    return out;
  }
}
