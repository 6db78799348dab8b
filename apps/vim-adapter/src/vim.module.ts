import { Module, type Type } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { LOG, NATS, type Logger } from '@vnf-lcm/bus';
import type { ReconcileConfig, VimConfig } from './config.js';
import { buildDrivers } from './drivers/registry.js';
import { hostController } from './host.controller.js';
import { HostService } from './host.service.js';
import { HostWatch } from './host-watch.js';
import { NodeIdentities } from './identities.js';
import { Orphans } from './orphans.js';
import { RECONCILE, Reconciler } from './reconciler.js';
import { Zones } from './zones.js';

/** The VIM adapter's module for a configuration already checked at start-up. */
export function vimModule(config: VimConfig, reconcile: ReconcileConfig): Type<unknown> {
  @Module({
    controllers: [hostController(config.serves)],
    providers: [
      {
        provide: Zones,
        inject: [NATS, LOG],
        useFactory: (nc: NatsConnection, log: Logger) =>
          new Zones(
            config.defaultZone,
            config.zones.map((z) => z.name),
            buildDrivers(config, { nc, log, identities: NodeIdentities.fromEnv(nc, log) }),
          ),
      },
      HostService,
      HostWatch,
      Orphans,
      { provide: RECONCILE, useValue: reconcile },
      Reconciler,
    ],
  })
  class VimModule {}
  return VimModule;
}
