import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { opOf } from '@vnf-lcm/bus';
import { Vnfm } from '@vnf-lcm/contracts';
import { ClusterService } from './cluster.service.js';

@Controller()
export class ClusterController {
  constructor(@Inject(ClusterService) private readonly clusters: ClusterService) {}

  @MessagePattern(Vnfm.Subject.clusterActivate)
  activate(@Payload() p: Vnfm.ClusterActivate, @Ctx() ctx: NatsContext) {
    return this.clusters.activate(opOf(ctx), p);
  }

  @MessagePattern(Vnfm.Subject.appActivate)
  activateApp(@Payload() p: Vnfm.AppActivate, @Ctx() ctx: NatsContext) {
    return this.clusters.activateApp(opOf(ctx), p);
  }

  @MessagePattern(Vnfm.Subject.clusterScaleOut)
  scaleOut(@Payload() p: Vnfm.ClusterScaleOut, @Ctx() ctx: NatsContext) {
    return this.clusters.scaleOut(opOf(ctx), p);
  }

  @MessagePattern(Vnfm.Subject.clientReconfigure)
  reconfigureClient(@Payload() p: Vnfm.ClientReconfigure, @Ctx() ctx: NatsContext) {
    return this.clusters.reconfigureClient(opOf(ctx), p);
  }

  @MessagePattern(Vnfm.Subject.clusterScaleIn)
  scaleIn(@Payload() p: Vnfm.ClusterScaleIn, @Ctx() ctx: NatsContext) {
    return this.clusters.scaleIn(opOf(ctx), p);
  }

  @MessagePattern(Vnfm.Subject.appDestroy)
  destroyApp(@Payload() p: Vnfm.AppDestroy, @Ctx() ctx: NatsContext) {
    return this.clusters.destroyApp(opOf(ctx), p);
  }

  @MessagePattern(Vnfm.Subject.clusterGet)
  get(@Payload() p: Vnfm.ClusterGet) {
    return this.clusters.get(p);
  }
}
