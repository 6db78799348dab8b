import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TOKEN_RE } from '@vnf-lcm/contracts';

/** One zone as configured: its name, its driver, and the driver's own options. */
export interface ZoneConfig {
  name: string;
  driver: string;
  [option: string]: unknown;
}

export interface VimConfig {
  defaultZone: string;
  zones: ZoneConfig[];
}

/** The embedded default: one local zone of process hosts under the working directory. */
export const DEFAULT_CONFIG: VimConfig = {
  defaultZone: 'local',
  zones: [{ name: 'local', driver: 'process', range: '127.10.0.0/16', root: '.vnf-lcm/hosts/local' }],
};

/** A configuration the adapter cannot start with; the message says what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** VIM_ZONES (inline JSON) wins over VIM_CONFIG (a YAML or JSON file); nothing set means the default. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): VimConfig {
  if (env.VIM_ZONES) return checkConfig(parseText(env.VIM_ZONES, 'VIM_ZONES'));
  if (env.VIM_CONFIG) {
    let text: string;
    try {
      text = readFileSync(env.VIM_CONFIG, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read VIM_CONFIG file ${env.VIM_CONFIG}: ${(err as Error).message}`);
    }
    return checkConfig(parseText(text, env.VIM_CONFIG));
  }
  return checkConfig(structuredClone(DEFAULT_CONFIG));
}

// YAML is a superset of JSON, so one parser reads both.
function parseText(text: string, source: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source} is not valid yaml or json: ${(err as Error).message}`);
  }
}

/** Shape checks common to every driver; each driver checks its own options when it is built. */
export function checkConfig(raw: unknown): VimConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`vim config must be a mapping with "zones", got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  const { defaultZone, zones } = raw as Record<string, unknown>;
  if (!Array.isArray(zones) || zones.length === 0) throw new ConfigError('vim config needs a non-empty "zones" list');
  const seen = new Set<string>();
  for (const [i, z] of zones.entries()) {
    if (typeof z !== 'object' || z === null) throw new ConfigError(`zones[${i}] must be an object`);
    const { name, driver } = z as Record<string, unknown>;
    if (typeof name !== 'string' || !TOKEN_RE.test(name))
      throw new ConfigError(`zones[${i}].name must be a lowercase token (${TOKEN_RE}), got ${JSON.stringify(name)}`);
    if (typeof driver !== 'string' || driver === '') throw new ConfigError(`zone ${name}: "driver" is missing`);
    if (seen.has(name)) throw new ConfigError(`zone ${name} is configured twice`);
    seen.add(name);
  }
  const def = defaultZone ?? (zones[0] as ZoneConfig).name;
  if (typeof def !== 'string' || !seen.has(def))
    throw new ConfigError(`defaultZone ${JSON.stringify(def)} is not one of the zones (${[...seen].join(', ')})`);
  return { defaultZone: def, zones: zones as ZoneConfig[] };
}
