import type { DriverKind } from '../driver.js';
import { DockerDriver } from './docker.driver.js';
import { checkDockerZone, type DockerZone } from './options.js';

export const dockerDriver: DriverKind<DockerZone> = {
  check: (zone) => checkDockerZone(zone),
  create: (options, deps) => new DockerDriver(options, deps),
};
