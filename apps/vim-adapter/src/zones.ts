import type { OnModuleDestroy } from '@nestjs/common';
import { rpcError } from '@vnf-lcm/bus';
import type { Driver, HostInfo } from './drivers/driver.js';

/** The configured zones, each with its driver; a request naming no zone gets the default one. */
export class Zones implements OnModuleDestroy {
  constructor(
    readonly defaultZone: string,
    private readonly drivers: Map<string, Driver>,
  ) {}

  names(): string[] {
    return [...this.drivers.keys()];
  }

  driver(zone = this.defaultZone): Driver {
    const d = this.drivers.get(zone);
    if (!d) throw rpcError('not_found', `unknown zone ${zone}`, { zones: this.names() });
    return d;
  }

  all(): Driver[] {
    return [...this.drivers.values()];
  }

  /** on the adapter's stop: each driver lets go of what it holds for itself (hosts keep running) */
  onModuleDestroy(): void {
    for (const d of this.drivers.values()) d.close?.();
  }

  /** The host of a node, in whichever zone it lives: node ids are unique across zones. */
  async find(node: string): Promise<{ driver: Driver; host: HostInfo } | undefined> {
    for (const driver of this.drivers.values()) {
      const host = await driver.get(node);
      if (host) return { driver, host };
    }
    return undefined;
  }
}
