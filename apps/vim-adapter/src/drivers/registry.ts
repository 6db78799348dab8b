import { ConfigError, type VimConfig } from '../config.js';
import type { Driver, DriverDeps, DriverKind } from './driver.js';
import { dockerDriver } from './docker/index.js';
import { hollowDriver } from './hollow/index.js';
import { processDriver } from './process/index.js';

/** Driver kinds by the name a zone's `driver` field uses; kubernetes, openstack go here. */
export const DRIVERS: Record<string, DriverKind<any>> = {
  process: processDriver,
  docker: dockerDriver,
  // for scale benchmarks and tests only (bench/scale.mjs): built for a zone that says `driver: hollow`
  hollow: hollowDriver,
};

/**
 * Validates the driver options of every zone the adapter serves; throws ConfigError naming the
 * zone and the problem. The other zones are other machines': their folders are not here.
 */
export function checkDrivers(config: VimConfig): unknown[] {
  return served(config).map((z) => {
    const kind = DRIVERS[z.driver];
    if (!kind) throw new ConfigError(`zone ${z.name}: unknown driver ${z.driver} (known: ${Object.keys(DRIVERS).join(', ')})`);
    return kind.check(z);
  });
}

/** The drivers of the zones the adapter serves, by zone. */
export function buildDrivers(config: VimConfig, deps: DriverDeps): Map<string, Driver> {
  const options = checkDrivers(config);
  return new Map(served(config).map((z, i) => [z.name, DRIVERS[z.driver].create(options[i], deps)]));
}

const served = (config: VimConfig) => config.zones.filter((z) => config.serves.includes(z.name));
