import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { SRV_PREFIX } from '@vnf-lcm/contracts';

/**
 * NATS service discovery (ADR-32, "micro"): a service answers `$SRV.PING|INFO|STATS`, the same
 * verbs followed by its name, and by its name and instance id, so that `nats micro ls`,
 * `nats micro info <name>` and `nats micro stats <name>` see it. Written here rather than taken
 * from @nats-io/services, which is a pre-release for the 3.x client; and the endpoints are the
 * service's existing subjects, which it answers through Nest's transport, not through a micro
 * endpoint's handler.
 */
export const MicroVerb = { ping: 'PING', info: 'INFO', stats: 'STATS' } as const;
export type MicroVerb = (typeof MicroVerb)[keyof typeof MicroVerb];

export const MicroType = {
  ping: 'io.nats.micro.v1.ping_response',
  info: 'io.nats.micro.v1.info_response',
  stats: 'io.nats.micro.v1.stats_response',
} as const;

/** One subject the service answers requests on, and the queue group it shares them in. */
export interface EndpointRef {
  subject: string;
  queue?: string;
}

export interface MicroOptions {
  /** the kind of service, shared by every instance: `[A-Za-z0-9_-]+` */
  name: string;
  version: string;
  description?: string;
  metadata?: Record<string, string>;
  /** read at each INFO and STATS: what the service subscribed to by then */
  endpoints: () => EndpointRef[];
}

interface Counts {
  num_requests: number;
  num_errors: number;
  last_error: string;
  /** nanoseconds */
  processing_time: bigint;
}

/** The micro protocol's standard fields: every response starts with them. */
interface Identity {
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
}

export class MicroService {
  /** this instance's id, for `$SRV.<verb>.<name>.<id>` */
  readonly id = nuid.next();
  private readonly started = new Date().toISOString();
  private readonly counts = new Map<string, Counts>();
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly o: MicroOptions,
  ) {
    if (!/^[A-Za-z0-9_-]+$/.test(o.name)) throw new Error(`micro service name ${o.name} is not [A-Za-z0-9_-]+`);
  }

  /** The nine discovery subjects, plain subscriptions (not a queue): every instance answers. */
  start(): this {
    for (const verb of Object.values(MicroVerb))
      for (const subject of discoverySubjects(verb, this.o.name, this.id))
        this.subs.push(this.nc.subscribe(subject, { callback: (err, m) => void (err || this.answer(verb, m)) }));
    return this;
  }

  stop(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }

  /**
   * One request answered on `subject`: counted for STATS. Called from where every request is
   * dispatched (PlainJsonNatsServer), with what the reply said.
   */
  record(subject: string, startedNs: bigint, error?: { err_code?: string; description?: string }): void {
    let c = this.counts.get(subject);
    if (!c) this.counts.set(subject, (c = { num_requests: 0, num_errors: 0, last_error: '', processing_time: 0n }));
    c.num_requests++;
    c.processing_time += process.hrtime.bigint() - startedNs;
    if (error) {
      c.num_errors++;
      c.last_error = `${error.err_code ?? 'error'}: ${error.description ?? ''}`.trim();
    }
  }

  ping() {
    return { type: MicroType.ping, ...this.identity() };
  }

  info() {
    return {
      type: MicroType.info,
      ...this.identity(),
      description: this.o.description ?? '',
      endpoints: this.o.endpoints().map((e) => ({ ...endpointOf(e), metadata: null })),
    };
  }

  stats() {
    return {
      type: MicroType.stats,
      ...this.identity(),
      started: this.started,
      endpoints: this.o.endpoints().map((e) => {
        const c = this.counts.get(e.subject);
        const ns = c?.processing_time ?? 0n;
        const n = c?.num_requests ?? 0;
        return {
          ...endpointOf(e),
          num_requests: n,
          num_errors: c?.num_errors ?? 0,
          last_error: c?.last_error ?? '',
          // nanoseconds as JSON integers; Number is exact up to 104 days of handling in total
          processing_time: Number(ns),
          average_processing_time: n ? Number(ns / BigInt(n)) : 0,
        };
      }),
    };
  }

  private identity(): Identity {
    return { name: this.o.name, id: this.id, version: this.o.version, metadata: this.o.metadata ?? {} };
  }

  private answer(verb: MicroVerb, m: Msg): void {
    const body = verb === MicroVerb.ping ? this.ping() : verb === MicroVerb.info ? this.info() : this.stats();
    // a published discovery message (no reply subject) asks nobody
    if (m.reply) m.respond(JSON.stringify(body));
  }
}

/**
 * A Nest transport's request subjects, as micro endpoints: its message handlers (not its event
 * handlers), each with the queue group it subscribed in.
 */
export function requestEndpoints(handlers: Map<string, { isEventHandler?: boolean; extras?: { queue?: string } }>, queue?: string): EndpointRef[] {
  return [...handlers]
    .filter(([, h]) => !h.isEventHandler)
    .map(([subject, h]) => ({ subject, queue: h.extras?.queue ?? queue }))
    .sort((a, b) => a.subject.localeCompare(b.subject));
}

/** `$SRV.PING`, `$SRV.PING.<name>`, `$SRV.PING.<name>.<id>` */
export function discoverySubjects(verb: MicroVerb, name: string, id: string): string[] {
  return [`${SRV_PREFIX}.${verb}`, `${SRV_PREFIX}.${verb}.${name}`, `${SRV_PREFIX}.${verb}.${name}.${id}`];
}

/**
 * An endpoint's name must be `[A-Za-z0-9_-]+`: the subject with its dots as underscores
 * (`vnf.ao.op-get` is `vnf_ao_op-get`), which says which subject it is at a glance.
 */
function endpointOf(e: EndpointRef): { name: string; subject: string; queue_group?: string } {
  const name = e.subject.replace(/\./g, '_').replace(/[^A-Za-z0-9_-]/g, '-');
  return e.queue ? { name, subject: e.subject, queue_group: e.queue } : { name, subject: e.subject };
}

/** The project's version: the root package.json's, the first one above this file not a library's. */
export function projectVersion(): string {
  for (let dir = new URL('..', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const p = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (p.version && !p.name?.startsWith('@vnf-lcm/')) return p.version;
    } catch {
      /* no package.json here: look further up */
    }
  }
  // a semantic version all the same: the protocol requires one
  return '0.0.0';
}

/** What an operator sees next to a service in `nats micro info`: which process it is. */
export function processMetadata(connection: string): Record<string, string> {
  return { connection, host: hostname(), pid: String(process.pid) };
}
