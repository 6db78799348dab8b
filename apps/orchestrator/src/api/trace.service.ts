import { Inject, Injectable } from '@nestjs/common';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS } from '@vnf-lcm/bus';
import { Trace } from '@vnf-lcm/contracts';

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
    const c = await jetstream(this.nc).consumers.get(Trace.STREAM, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
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
