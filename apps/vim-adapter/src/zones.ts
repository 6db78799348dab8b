import type { OnModuleDestroy } from '@nestjs/common';
import { rpcError } from '@vnf-lcm/bus';
import type { Vim } from '@vnf-lcm/contracts';
import type { Driver, HostInfo } from './drivers/driver.js';

/**
 * The zones this adapter serves, each with its driver, and the names of every configured zone
 * (those of other machines' adapters included): what zone-list answers.
 */
export class Zones implements OnModuleDestroy {
  constructor(
    readonly defaultZone: string,
    /** every configured zone, served here or not */
    readonly known: readonly string[],
    private readonly drivers: Map<string, Driver>,
  ) {}

  /** the zones served here */
  names(): string[] {
    return [...this.drivers.keys()];
  }

  list(): Vim.ZoneListReply {
    return { defaultZone: this.defaultZone, zones: [...this.known] };
  }

  driver(zone: string): Driver {
    const d = this.drivers.get(zone);
    if (!d) throw rpcError('not_found', `zone ${zone} is not served by this VIM adapter`, { zones: this.names() });
    return d;
  }

  all(): Driver[] {
    return [...this.drivers.values()];
  }

  /** on the adapter's stop: each driver lets go of what it holds for itself (hosts keep running) */
  onModuleDestroy(): void {
    for (const d of this.drivers.values()) d.close?.();
  }

  /** The host of a node in whichever zone served here it lives: node ids are unique across zones. */
  async find(node: string): Promise<{ driver: Driver; host: HostInfo } | undefined> {
    for (const driver of this.drivers.values()) {
      const host = await driver.get(node);
      if (host) return { driver, host };
    }
    return undefined;
  }
}
