import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ZoneConfig } from '../../config.js';
import { parseCidr, type Cidr } from '../address.js';

export interface HollowZone {
  zone: string;
  /** addresses the hollow nodes claim (nothing listens on them: no application runs) */
  range: Cidr;
  /** the hollow agents' entry point (apps/vnf-agent/dist/hollow.js) */
  hollowMain: string;
  helloTimeoutMs: number;
}

const KEYS = new Set(['name', 'driver', 'range']);

// dist/drivers/hollow/options.js -> apps/vnf-agent/dist/hollow.js (npm run build makes it)
const HOLLOW_MAIN = fileURLToPath(new URL('../../../../vnf-agent/dist/hollow.js', import.meta.url));

export function checkHollowZone(z: ZoneConfig): HollowZone {
  const unknown = Object.keys(z).filter((k) => !KEYS.has(k));
  if (unknown.length) throw new ConfigError(`zone ${z.name}: unknown option(s) ${unknown.join(', ')} for driver hollow`);
  const range = typeof z.range === 'string' ? parseCidr(z.range) : undefined;
  if (!range) throw new ConfigError(`zone ${z.name}: "range" must be an IPv4 CIDR such as 127.10.0.0/16, got ${JSON.stringify(z.range)}`);
  const hollowMain = resolve(HOLLOW_MAIN);
  if (!existsSync(hollowMain)) throw new ConfigError(`zone ${z.name}: the hollow agents are not built (${hollowMain}): run npm run build`);
  return { zone: z.name, range, hollowMain, helloTimeoutMs: 15_000 };
}
