import type { DriverKind } from '../driver.js';
import { HollowDriver } from './hollow.driver.js';
import { checkHollowZone, type HollowZone } from './options.js';

/**
 * Hollow hosts (kubemark's idea): every host of the zone is a hollow agent in one separate process
 * that speaks the agent's protocol on the real subjects but runs no application. For scale
 * benchmarks and tests on an open server; built only for a zone that says `driver: hollow`.
 */
export const hollowDriver: DriverKind<HollowZone> = {
  check: (zone) => checkHollowZone(zone),
  create: (options, deps) => new HollowDriver(options, deps),
};
