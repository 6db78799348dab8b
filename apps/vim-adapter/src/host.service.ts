import { Inject, Injectable } from '@nestjs/common';
import { Bus, KeyedLock, LOG, rpcError, type Logger } from '@vnf-lcm/bus';
import { Agent, Label, type Origin, Participant, partOf, type Query, type Vim } from '@vnf-lcm/contracts';
import type { Driver, HostInfo } from './drivers/driver.js';
import { agentAnswers } from './drivers/hello.js';
import { countHostsOf } from './metrics.js';
import { Orphans } from './orphans.js';
import { Zones } from './zones.js';

/** what an arrow of the VIM's says: its operation, step, node and label */
type Arrow = { op: string; step: string; node: string; cluster: string; label: string };

/**
 * The agent answers shutdown only once its application has stopped, which it gives 10 s to
 * drain before SIGKILL; a shorter wait would cut a graceful drain short.
 */
const SHUTDOWN_TIMEOUT_MS = 20_000;
/** how long an agent left by an unfinished start has to answer before it is replaced */
const STATUS_TIMEOUT_MS = 2_000;

/**
 * Activate and remove virtual hosts. Both are idempotent per node id and run one at a time per
 * node, so a step sent again (after a timeout or a crash of the orchestrator) neither creates a
 * second host nor fails because the first one is already there or already gone.
 */
@Injectable()
export class HostService {
  private readonly nodes = new KeyedLock();

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(LOG) private readonly log: Logger,
    @Inject(Zones) private readonly zones: Zones,
    @Inject(Orphans) private readonly orphans: Orphans,
  ) {
    // the zones served here: each adapter tells of its own
    countHostsOf(async () => (await Promise.all(this.zones.names().map((z) => this.list(z, {})))).flatMap((l) => l.hosts));
  }

  /** a host in `zone`; a node that has a host in another zone served here is a conflict */
  activate(o: Origin, zone: string, req: Vim.HostActivate): Promise<HostInfo> {
    const driver = this.zones.driver(zone);
    const { vnf, cluster, node } = req;
    const { op } = o;
    const create = { op, node, cluster, label: Label.createVirtualHost, step: partOf(o, 'create') };
    const start = { op, node, cluster, label: Label.startVirtualHost, step: partOf(o, 'start') };
    return this.nodes.run(node, async () => {
      const found = await this.zones.find(node);
      if (found) {
        const { host } = found;
        if (host.vnf !== vnf || host.cluster !== cluster || host.zone !== zone)
          throw rpcError('conflict', `node ${node} is already a host of ${host.vnf}/${host.cluster} in zone ${host.zone}`, { host });
        if (host.state === 'creating') return this.finishStart(found.driver, host, create, start);
        if (host.state === 'running') {
          // running means its agent answers on this bus, not only that a process lives: a data
          // folder from a run on another NATS server has live agents connected elsewhere
          if (await this.answers(node)) {
            // a step sent again (ADR 36) whose first attempt may have been cut short after its
            // agent came up, the adapter killed before the hello reached it: finished as a
            // cut-short start is, so that the trace has the start the diagram needs
            if (o.again) return this.finishStart(found.driver, host, create, start);
            this.log.info({ op, vnf, node, address: host.address }, 'virtual host already running');
            return host;
          }
          this.log.warn({ op, vnf, node, pid: host.pid }, 'agent does not answer on this bus: starting a new one');
          return this.bus.action(Participant.vnf, start, () => found.driver.start(host));
        }
        // created before but its agent is gone: boot it again in the same place, same address;
        // an application still running there is left alone, the new agent adopts it
        this.log.info({ op, vnf, node, address: host.address }, 'restarting virtual host');
        return this.bus.action(Participant.vnf, start, () => found.driver.start(host));
      }
      const created = await this.bus.action(Participant.vnf, create, () =>
        driver.create({ vnf, cluster, node, zone: driver.zone, image: req.image, cpus: req.cpus, memoryMiB: req.memoryMiB }),
      );
      const started = await this.bus.action(Participant.vnf, start, () => driver.start(created));
      this.log.info({ op, vnf, node, zone: started.zone, address: started.address, pid: started.pid }, 'virtual host activated');
      return started;
    });
  }

  /**
   * A start cut short (the adapter died before the agent's hello) is still owed: an agent that
   * answers now is taken as started, anything else is replaced by a new agent.
   */
  private async finishStart(driver: Driver, host: HostInfo, create: Arrow, start: Arrow): Promise<HostInfo> {
    const { vnf, node } = host;
    this.log.info({ op: create.op, vnf, node, address: host.address, pid: host.pid }, 'finishing an unfinished virtual host start');
    // activate is create then start, as in the diagrams: the create is answered by the host the
    // cut-short attempt made, so that the trace shows both steps of the attempt that completed
    await this.bus.action(Participant.vnf, create, async () => host);
    return this.bus.action(Participant.vnf, start, async () => {
      if ((await driver.alive(host)) && (await this.answers(node))) return driver.confirm(host);
      return driver.start(host);
    });
  }

  private answers(node: string): Promise<boolean> {
    return agentAnswers(this.bus.nc, node, STATUS_TIMEOUT_MS);
  }

  /** `only` (reconciliation) is asked about the host found, under the node's lock; false leaves it. */
  remove(o: Origin, zone: string, req: Vim.HostRemove, only?: (host: HostInfo) => boolean): Promise<Vim.HostRemoveReply> {
    const { node } = req;
    const { op } = o;
    const driver = this.zones.driver(zone);
    return this.nodes.run(node, async () => {
      const host = await driver.get(node);
      if (!host) {
        this.log.info({ op, node, zone }, 'no such virtual host: nothing to remove');
        return { node, removed: false };
      }
      if (only && !only(host)) {
        this.log.info({ op, vnf: host.vnf, node }, 'virtual host changed meanwhile: not removed');
        return { node, removed: false };
      }
      const arrow = { op, node, cluster: host.cluster };
      const stop = { ...arrow, label: Label.stopVirtualHost, step: partOf(o, 'stop') };
      if (host.state === 'running') {
        // a live agent is told to stop (it stops its application first); signals only if it does not
        // tolerateGone: an agent that does not answer is stopped with signals, and the arrow still closes
        const reply = await this.bus
          .call<object>(
            Participant.vnf,
            Agent.subject(Agent.Verb.shutdown, node),
            {},
            {
              ...stop,
              timeoutMs: SHUTDOWN_TIMEOUT_MS,
              tolerateGone: true,
            },
          )
          .catch((err: Error) => {
            this.log.warn({ op, vnf: host.vnf, node, err: err.message }, 'agent refused shutdown');
            return undefined;
          });
        const asked = reply !== undefined;
        if (!asked) this.log.warn({ op, vnf: host.vnf, node }, 'agent did not answer shutdown: stopping it with signals');
        await driver.stop(host, { asked });
      } else {
        await this.bus.action(Participant.vnf, stop, () => driver.stop(host));
      }
      await this.bus.action(Participant.vnf, { ...arrow, label: Label.destroyVirtualHost, step: partOf(o, 'destroy') }, () => driver.destroy(host));
      this.log.info({ op, vnf: host.vnf, node, address: host.address }, 'virtual host removed');
      return { node, removed: true };
    });
  }

  /** a host's log, from its driver; no such host is not_found */
  async logs(zone: string, req: Vim.HostLogs): Promise<Query.NodeLogsReply> {
    const driver = this.zones.driver(zone);
    const host = await driver.get(req.node);
    if (!host) throw rpcError('not_found', `no virtual host for node ${req.node} in zone ${zone}`);
    if (!driver.logs) throw rpcError('unavailable', `the ${driver.kind} driver of zone ${host.zone} cannot show logs`);
    const r = await driver.logs(host, { source: req.source, tail: req.tail, ...(req.cursor !== undefined ? { cursor: req.cursor } : {}) });
    return { node: req.node, ...r };
  }

  async list(zone: string, req: Vim.HostList): Promise<Vim.HostListReply> {
    const hosts = await this.zones.driver(zone).list();
    return { hosts: hosts.filter((h) => !req.vnf || h.vnf === req.vnf).map((h) => this.orphans.show(h)) };
  }
}
