import { Controller, Inject, type Type } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { opOf } from '@vnf-lcm/bus';
import { type Query, Vim } from '@vnf-lcm/contracts';
import { HostService } from './host.service.js';
import { HostWatch } from './host-watch.js';
import { Zones } from './zones.js';

/** AO->VIM requests; the AO records its own `activate virtual host` / `remove virtual host` arrows. */
class ZoneHandlers {
  constructor(
    @Inject(HostService) private readonly hosts: HostService,
    @Inject(HostWatch) private readonly watch: HostWatch,
    @Inject(Zones) private readonly zones: Zones,
  ) {}

  /** activate and remove may stop the node's agent: not a death to report (HostWatch) */
  activate(zone: string, p: Vim.HostActivate, ctx: NatsContext): Promise<Vim.HostInfo> {
    return this.watch.activating(p.node, () => this.hosts.activate(opOf(ctx), zone, p));
  }

  remove(zone: string, p: Vim.HostRemove, ctx: NatsContext): Promise<Vim.HostRemoveReply> {
    return this.watch.removing(p.node, () => this.hosts.remove(opOf(ctx), zone, p));
  }

  logs(zone: string, p: Vim.HostLogs): Promise<Query.NodeLogsReply> {
    return this.hosts.logs(zone, p);
  }

  list(zone: string, p: Vim.HostList): Promise<Vim.HostListReply> {
    return this.hosts.list(zone, p);
  }

  zoneList(): Vim.ZoneListReply {
    return this.zones.list();
  }
}

type Handler = 'activate' | 'remove' | 'logs' | 'list';
const VERBS: [Vim.Verb, Handler, Function][] = [
  [Vim.Verb.hostActivate, 'activate', Vim.HostActivate],
  [Vim.Verb.hostRemove, 'remove', Vim.HostRemove],
  [Vim.Verb.hostLogs, 'logs', Vim.HostLogs],
  [Vim.Verb.hostList, 'list', Vim.HostList],
];

/**
 * The controller of the zones this adapter serves: each verb's subject per zone, in the zone's
 * queue group (ADR 26). The zone is the subject's, never the body's. Nest takes a queue group per
 * handler method, so each zone's verb is a method of its own (`activate:edge`), decorated here as
 * `@MessagePattern(subject, { queue }) m(@Payload() p: Body, @Ctx() ctx)` would be in source.
 */
export function hostController(zones: readonly string[]): Type<unknown> {
  @Controller()
  class HostController extends ZoneHandlers {
    /** any adapter answers: every adapter reads the same zones */
    @MessagePattern(Vim.ZONE_LIST)
    override zoneList(): Vim.ZoneListReply {
      return super.zoneList();
    }
  }
  const proto = HostController.prototype as unknown as Record<string, unknown>;
  for (const zone of zones)
    for (const [verb, handler, body] of VERBS) {
      const name = `${handler}:${zone}`;
      const impl = ZoneHandlers.prototype[handler] as (zone: string, p: unknown, ctx: NatsContext) => unknown;
      Object.defineProperty(proto, name, {
        value: function (this: ZoneHandlers, p: unknown, ctx: NatsContext) {
          return impl.call(this, zone, p, ctx);
        },
        writable: true,
        configurable: true,
      });
      // what TypeScript emits for a decorated method: the payload's class is what validation checks
      Reflect.defineMetadata('design:paramtypes', [body, NatsContext], proto, name);
      Payload()(proto, name, 0);
      Ctx()(proto, name, 1);
      MessagePattern(Vim.subject(verb, zone), { queue: Vim.queueOf(zone) })(proto, name, Object.getOwnPropertyDescriptor(proto, name)!);
    }
  return HostController;
}
