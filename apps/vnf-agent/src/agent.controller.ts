import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { LOG, opOf, type Logger } from '@vnf-lcm/bus';
import { Agent } from '@vnf-lcm/contracts';
import { AppManager } from './app-manager.js';
import { ENV } from './env.js';
import { AgentLifecycle } from './lifecycle.js';

/** This node's own subjects: the node id is their last token. */
const on = (verb: Agent.Verb) => Agent.subject(verb, ENV.node);

@Controller()
export class AgentController {
  constructor(
    @Inject(AppManager) private readonly apps: AppManager,
    @Inject(AgentLifecycle) private readonly life: AgentLifecycle,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  @MessagePattern(on(Agent.Verb.appCreate))
  create(@Payload() p: Agent.AppCreate, @Ctx() ctx: NatsContext) {
    return this.apps.create(p, opOf(ctx).op);
  }

  @MessagePattern(on(Agent.Verb.appStart))
  start(@Payload() _p: Agent.Empty, @Ctx() ctx: NatsContext) {
    return this.apps.start(opOf(ctx).op);
  }

  @MessagePattern(on(Agent.Verb.appStop))
  stop(@Payload() _p: Agent.Empty, @Ctx() ctx: NatsContext) {
    return this.apps.stop(opOf(ctx).op);
  }

  @MessagePattern(on(Agent.Verb.appDestroy))
  destroy(@Payload() _p: Agent.Empty, @Ctx() ctx: NatsContext) {
    return this.apps.destroy(opOf(ctx).op);
  }

  @MessagePattern(on(Agent.Verb.clusterReconfigure))
  reconfigureCluster(@Payload() p: Agent.ClusterReconfigure, @Ctx() ctx: NatsContext) {
    return this.apps.reconfigureCluster(p.members, opOf(ctx).op);
  }

  @MessagePattern(on(Agent.Verb.clientReconfigure))
  reconfigureClient(@Payload() p: Agent.ClientReconfigure, @Ctx() ctx: NatsContext) {
    return this.apps.reconfigureClient(p.provider, p.endpoints, opOf(ctx).op);
  }

  @MessagePattern(on(Agent.Verb.status))
  status(@Payload() _p: Agent.Empty) {
    return this.apps.status();
  }

  @MessagePattern(on(Agent.Verb.shutdown))
  async shutdown(@Payload() _p: Agent.Empty, @Ctx() ctx: NatsContext) {
    const { op } = opOf(ctx);
    this.log.info({ op }, 'shutdown requested');
    await this.life.stopApp(op);
    this.life.exitSoon();
    return {};
  }
}
