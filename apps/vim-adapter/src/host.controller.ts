import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { opOf } from '@vnf-lcm/bus';
import { type Query, Vim } from '@vnf-lcm/contracts';
import { HostService } from './host.service.js';
import { HostWatch } from './host-watch.js';

/** AO->VIM requests; the AO records its own `activate virtual host` / `remove virtual host` arrows. */
@Controller()
export class HostController {
  constructor(
    @Inject(HostService) private readonly hosts: HostService,
    @Inject(HostWatch) private readonly watch: HostWatch,
  ) {}

  /** activate and remove may stop the node's agent: not a death to report (HostWatch) */
  @MessagePattern(Vim.Subject.hostActivate)
  activate(@Payload() p: Vim.HostActivate, @Ctx() ctx: NatsContext): Promise<Vim.HostInfo> {
    return this.watch.activating(p.node, () => this.hosts.activate(opOf(ctx), p));
  }

  @MessagePattern(Vim.Subject.hostRemove)
  remove(@Payload() p: Vim.HostRemove, @Ctx() ctx: NatsContext): Promise<Vim.HostRemoveReply> {
    return this.watch.removing(p.node, () => this.hosts.remove(opOf(ctx), p));
  }

  @MessagePattern(Vim.Subject.hostLogs)
  logs(@Payload() p: Vim.HostLogs): Promise<Query.NodeLogsReply> {
    return this.hosts.logs(p);
  }

  @MessagePattern(Vim.Subject.hostList)
  list(@Payload() p: Vim.HostList): Promise<Vim.HostListReply> {
    return this.hosts.list(p);
  }
}
