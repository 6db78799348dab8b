import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { connectBus, replyError } from '@vnf-lcm/bus/wire';
import * as Agent from '@vnf-lcm/contracts/agent';
import { TOKEN_RE } from '@vnf-lcm/contracts/common';
import { check } from './checks.js';
import { createLog, type Log } from './log.js';
import { serve } from './requests.js';

/*
 * Hollow agents (kubemark's hollow nodes, for vnf-lcm): many agents in ONE process, for scale
 * benchmarks and tests only. Each hollow node subscribes its node's real subjects
 * (vnf.agent.<verb>.<node>), checks requests against the agent's own schemas, answers through the
 * same answer path and with the same reply shapes as a real agent, says hello and heartbeats on
 * the real subjects; but spawns no application: `app-start` finds it running at once.
 *
 * Started once by the VIM adapter's `hollow` driver (zone option `driver: hollow`), never
 * otherwise; the driver adds and removes nodes over the control subjects below. It needs an open
 * server (one connection answers for every node, which no node identity may do), and exits when
 * its parent closes its stdin (the driver's process is gone).
 */

const Control = Agent.HollowControl;

type Handler = (data: unknown, op: string) => unknown;

/** One hollow node: the agent's requests on an in-memory state, no process, no files. */
class HollowNode {
  private app: Agent.Status['app'] = { state: 'absent' };
  private spec?: Agent.AppCreate;
  private members: Agent.Status['members'] = [];
  private endpoints: Agent.Status['endpoints'] = {};
  private subs: Subscription[] = [];
  private timer?: NodeJS.Timeout;
  private starts = 0;

  constructor(
    readonly node: string,
    readonly address: string,
    private readonly nc: NatsConnection,
    private readonly onExit: (node: string, reason: string) => void,
  ) {}

  async up(heartbeatMs: number, log: Log): Promise<void> {
    this.subs = await serve(this.nc, this.node, this.handlers(), log);
    const hello: Agent.Hello = { node: this.node, address: this.address, pid: process.pid };
    this.nc.publish(Agent.hello(this.node), JSON.stringify(hello));
    // a first beat at once, as the real agent (the VNFM takes a running node that never beat for
    // dead since its own start); the next ones spread over the interval: 1000 nodes beating in the
    // same millisecond would be a burst
    this.beat();
    this.timer = setTimeout(() => {
      this.beat();
      this.timer = setInterval(() => this.beat(), heartbeatMs);
    }, Math.random() * heartbeatMs);
  }

  /** unsubscribes and stops beating: from outside the node is a dead agent */
  down(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }

  status(): Agent.Status {
    const out: Agent.Status = { node: this.node, address: this.address, app: { ...this.app }, members: this.members, endpoints: this.endpoints };
    if (this.spec) Object.assign(out, { vnf: this.spec.vnf, cluster: this.spec.cluster });
    return out;
  }

  private beat(): void {
    if (this.nc.isClosed()) return;
    const hb: Agent.Heartbeat = { node: this.node, app: this.app, ts: new Date().toISOString() };
    if (this.spec) Object.assign(hb, { vnf: this.spec.vnf, cluster: this.spec.cluster });
    this.nc.publish(Agent.heartbeat(this.node), JSON.stringify(hb));
  }

  /** the agent's verbs, checked by the agent's own schemas (checks.ts) */
  private handlers(): Record<Agent.Verb, Handler> {
    const V = Agent.Verb;
    return {
      [V.appCreate]: (d) => {
        const p = check<Agent.AppCreate>(V.appCreate, d);
        const running = this.app.state === 'running';
        Object.assign(this, { spec: p, members: p.members, endpoints: p.endpoints });
        if (!running) this.app = { state: 'created', version: p.app.version, port: p.app.port };
        return this.status();
      },
      [V.appStart]: (d) => {
        check(V.appStart, d);
        if (!this.spec || this.app.state === 'absent') throw replyError('conflict', 'no application created on this node');
        if (this.app.state !== 'running') {
          this.starts++;
          this.app = { state: 'running', version: this.spec.app.version, port: this.spec.app.port, healthy: true };
          if (this.starts > 1) this.app.restarts = this.starts - 1;
        }
        return this.status();
      },
      [V.appStop]: (d) => {
        check(V.appStop, d);
        if (this.app.state !== 'absent') this.app = { ...this.app, state: 'stopped', healthy: undefined };
        return this.status();
      },
      [V.appDestroy]: (d) => {
        check(V.appDestroy, d);
        Object.assign(this, { app: { state: 'absent' }, spec: undefined, members: [], endpoints: {}, starts: 0 });
        return this.status();
      },
      [V.clusterReconfigure]: (d) => {
        this.members = check<Agent.ClusterReconfigure>(V.clusterReconfigure, d).members;
        return this.status();
      },
      [V.clientReconfigure]: (d) => {
        const p = check<Agent.ClientReconfigure>(V.clientReconfigure, d);
        this.endpoints = { ...this.endpoints, [p.provider]: p.endpoints };
        return this.status();
      },
      [V.status]: (d) => (check(V.status, d), this.status()),
      [V.shutdown]: (d) => {
        check(V.shutdown, d);
        // as a real agent: the reply leaves, then the agent is gone
        setTimeout(() => this.onExit(this.node, 'agent died (exit 0 after a shutdown request)'), 20);
        return {};
      },
    };
  }
}

/** One zone's hollow nodes on one connection, driven over the control subjects. */
export class HollowAgents {
  private readonly nodes = new Map<string, HollowNode>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly zone: string,
    private readonly heartbeatMs: number,
    private readonly log: Log,
  ) {}

  async serve(): Promise<void> {
    const { nc, zone } = this;
    const on = (subject: string, fn: (d: Record<string, unknown>) => unknown) =>
      nc.subscribe(subject, {
        callback: (_e, msg) =>
          void (async () => fn(msg.json()))().then(
            (r) => msg.respond(JSON.stringify(r ?? {})),
            (err: Error) => msg.respond(JSON.stringify({ error: { code: 400, err_code: 'invalid_request', description: err.message } })),
          ),
      });
    on(Control.add(zone), (d) => this.add(nodeOf(d), String(d.address ?? '')));
    on(Control.remove(zone), (d) => this.remove(nodeOf(d)));
    on(Control.kill(zone), (d) => this.exit(nodeOf(d), 'agent died (hollow kill)', d.silent === true));
    on(Control.list(zone), () => ({ nodes: [...this.nodes.values()].map((n) => ({ node: n.node, address: n.address })) }));
    await nc.flush();
  }

  private async add(node: string, address: string): Promise<object> {
    // an agent started again in place replaces the one before, as the process driver does
    this.nodes.get(node)?.down();
    const n = new HollowNode(node, address, this.nc, (id, reason) => this.exit(id, reason, false));
    this.nodes.set(node, n);
    await n.up(this.heartbeatMs, this.log);
    return {};
  }

  private remove(node: string): object {
    this.nodes.get(node)?.down();
    this.nodes.delete(node);
    return {};
  }

  private exit(node: string, reason: string, silent: boolean): object {
    const n = this.nodes.get(node);
    if (!n) return { found: false };
    this.remove(node);
    this.log.info({ node, reason, silent }, 'hollow node died');
    // what the process driver sees of a dead agent (its pid gone): the driver reports it
    if (!silent) this.nc.publish(Control.died(this.zone), JSON.stringify({ node, reason } satisfies Agent.HollowDied));
    return { found: true };
  }
}

function nodeOf(d: Record<string, unknown>): string {
  const node = d.node;
  if (typeof node !== 'string' || !TOKEN_RE.test(node)) throw new Error(`node must be a subject token, got ${JSON.stringify(node)}`);
  return node;
}

/** the entry point: `node hollow.js --zone=<zone>` (VNF_HEARTBEAT_MS as the agent reads it) */
async function main(): Promise<void> {
  const zone = process.argv.find((a) => a.startsWith('--zone='))?.slice('--zone='.length) ?? '';
  const log = createLog({ service: 'vnf-hollow', zone });
  if (!TOKEN_RE.test(zone)) {
    log.fatal({ zone }, '--zone=<zone> must be a subject token');
    process.exit(2);
  }
  const heartbeatMs = Number(process.env.VNF_HEARTBEAT_MS || 250);
  const nc = await connectBus(`vnf-hollow/${zone}`);
  await new HollowAgents(nc, zone, heartbeatMs, log).serve();
  log.info({ heartbeatMs }, 'hollow agents ready');
  // the driver holds our stdin: when its process is gone, so are its hollow nodes
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

void main();
