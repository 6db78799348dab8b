import type { DriverKind } from '../driver.js';
import { checkProcessZone, type ProcessZone } from './options.js';
import { ProcessDriver } from './process.driver.js';

export const processDriver: DriverKind<ProcessZone> = {
  check: (zone) => checkProcessZone(zone),
  create: (options, deps) => new ProcessDriver(options, deps),
};
