import { Inject, Injectable } from '@nestjs/common';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS } from '@vnf-lcm/bus';
import { Trace } from '@vnf-lcm/contracts';

/**
 * On a cluster, JetStream may place the reading consumer on a server that was just killed and
 * not yet seen as gone (some 20 s on nats-server 2.9): its creation times out. Another attempt
 * lands elsewhere, so a short wait and a few attempts instead of one long wait (docs/cluster.md).
 */
const CONSUMER_TIMEOUT_MS = 1_500;
const ATTEMPTS = 5;

/** Reads an operation's recorded arrows back from the trace stream, while it runs or after. */
@Injectable()
export class TraceService {
  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  async entries(op: string): Promise<Trace.Entry[]> {
    const subject = Trace.subject(op);
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(Trace.STREAM, { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.read(subject, count);
      } catch (err) {
        if (attempt >= ATTEMPTS || !/timeout/i.test((err as Error).message)) throw err;
      }
    }
  }

  private async read(subject: string, count: number): Promise<Trace.Entry[]> {
    const js = jetstream(this.nc, { timeout: CONSUMER_TIMEOUT_MS });
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
