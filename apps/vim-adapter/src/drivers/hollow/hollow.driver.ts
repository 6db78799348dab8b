import { spawn, type ChildProcess } from 'node:child_process';
import { rpcError } from '@vnf-lcm/bus';
import { Agent, isErrorReply } from '@vnf-lcm/contracts';
import { HelloWaiter } from '../hello.js';
import type { Driver, DriverDeps, HostDownListener, HostInfo, HostSpec, StopOptions } from '../driver.js';
import { allocate, newHost } from '../address.js';
import type { HollowZone } from './options.js';

/** variables meant for the VIM adapter only, not for the hollow agents' process */
const PRIVATE_ENV = ['VIM_ZONES', 'VIM_CONFIG', 'VNF_AGENT_MAIN', 'NATS_CREDS', 'VIM_AGENT_SIGNER'];
const CONTROL_TIMEOUT_MS = 5_000;
/** how long the hollow process may take to connect and serve its control subjects */
const READY_MS = 15_000;

const C = Agent.HollowControl;

/**
 * Hosts that are hollow agents, all in one process this driver starts once (apps/vnf-agent/dist/
 * hollow.js) and drives over the zone's control subjects. The hosts' records are this driver's
 * memory: hollow hosts live as long as the adapter (the hollow process exits with it), so a
 * restarted adapter finds none, as after a reboot of every host. A host is up once its hollow
 * agent said hello on the real subject, as a real agent's is.
 */
export class HollowDriver implements Driver {
  readonly kind = 'hollow';
  readonly zone: string;
  private readonly hosts = new Map<string, HostInfo>();
  private child?: ChildProcess;
  private readying?: Promise<void>;
  private onDown?: HostDownListener;

  constructor(
    private readonly o: HollowZone,
    private readonly deps: DriverDeps,
  ) {
    this.zone = o.zone;
  }

  async create(spec: HostSpec): Promise<HostInfo> {
    const existing = this.hosts.get(spec.node);
    if (existing) return existing;
    // synchronous from here on: two creates cannot take the same address
    const address = allocate(
      this.o.range,
      [...this.hosts.values()].map((h) => h.address),
      this.zone,
    );
    const host = newHost(spec, this.zone, this.kind, address, `hollow:${spec.node}`);
    this.hosts.set(spec.node, host);
    return host;
  }

  async start(host: HostInfo): Promise<HostInfo> {
    if (this.deps.identities.enabled) throw rpcError('unavailable', 'hollow hosts need an open server: one process answers for every node');
    await this.ready();
    const hello = await HelloWaiter.open(this.deps.nc, host.node);
    const failure = await this.control(C.add(this.zone), { node: host.node, address: host.address }).then(
      () => hello.wait(this.o.helloTimeoutMs, new Promise<undefined>(() => undefined)),
      (err: Error) => (hello.close(), err.message),
    );
    if (failure) throw rpcError('step_failed', 'hollow host did not start', { node: host.node, reason: failure });
    const running: HostInfo = { ...host, pid: this.child?.pid, state: 'running' };
    this.hosts.set(host.node, running);
    return running;
  }

  async confirm(host: HostInfo): Promise<HostInfo> {
    const running: HostInfo = { ...(this.hosts.get(host.node) ?? host), state: 'running' };
    this.hosts.set(host.node, running);
    return running;
  }

  async stop(host: HostInfo, _o: StopOptions = {}): Promise<void> {
    const current = this.hosts.get(host.node);
    if (!current) return;
    // a hollow agent asked to shut down is gone already; removing it again is no error
    if (this.child && this.child.exitCode === null) await this.control(C.remove(this.zone), { node: host.node });
    this.hosts.set(host.node, { ...current, state: 'stopped' });
  }

  async destroy(host: HostInfo): Promise<void> {
    if (this.hosts.get(host.node)?.state === 'running') await this.stop(host);
    this.hosts.delete(host.node);
  }

  async get(node: string): Promise<HostInfo | undefined> {
    return this.hosts.get(node);
  }

  async list(): Promise<HostInfo[]> {
    return [...this.hosts.values()];
  }

  async alive(host: HostInfo): Promise<boolean> {
    return this.hosts.get(host.node)?.state === 'running';
  }

  /** a hollow agent's death is published by its process (what a real agent's exit is to the process driver) */
  watch(down: HostDownListener): () => void {
    this.onDown = down;
    const sub = this.deps.nc.subscribe(C.died(this.zone), {
      callback: (_e, msg) => {
        let died: Agent.HollowDied;
        try {
          died = msg.json<Agent.HollowDied>();
        } catch {
          return;
        }
        this.died(died.node, died.reason);
      },
    });
    return () => {
      sub.unsubscribe();
      this.onDown = undefined;
    };
  }

  private died(node: string, reason: string): void {
    const h = this.hosts.get(node);
    if (!h || h.state !== 'running') return;
    this.hosts.set(node, { ...h, state: 'stopped' });
    this.onDown?.(node, reason);
  }

  /** the hollow process, started once (again if it died) and serving its control subjects */
  private ready(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null && this.readying) return this.readying;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of PRIVATE_ENV) delete env[k];
    // its stdin is our pipe: it exits when this process is gone; its log lines join ours
    const child = spawn(process.execPath, [this.o.hollowMain, `--zone=${this.zone}`], { env, stdio: ['pipe', 'inherit', 'inherit'] });
    this.child = child;
    child.on('error', (err) => this.deps.log.error({ zone: this.zone, err: err.message }, 'hollow agents did not start'));
    child.once('exit', (code, signal) => {
      this.deps.log.error({ zone: this.zone, code, signal }, 'hollow agents exited: every hollow host of the zone is down');
      for (const h of this.hosts.values()) this.died(h.node, `agent died (hollow process ${signal ?? `exit ${code}`})`);
    });
    this.deps.log.info({ zone: this.zone, pid: child.pid }, 'hollow agents started');
    return (this.readying = (async () => {
      for (const until = Date.now() + READY_MS; ; ) {
        try {
          await this.deps.nc.request(C.list(this.zone), '{}', { timeout: 500 });
          return;
        } catch (err) {
          if (Date.now() > until || child.exitCode !== null) {
            this.readying = undefined;
            throw rpcError('unavailable', `hollow agents of zone ${this.zone} do not answer: ${(err as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })());
  }

  private async control(subject: string, body: object): Promise<unknown> {
    const r = (await this.deps.nc.request(subject, JSON.stringify(body), { timeout: CONTROL_TIMEOUT_MS })).json<unknown>();
    if (isErrorReply(r)) throw rpcError('step_failed', `${subject}: ${r.error.description}`);
    return r;
  }
}
