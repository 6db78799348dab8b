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
  /**
   * The zones this adapter serves (VIM_SERVE_ZONES; default: every zone): their hosts are on this
   * machine. Every adapter reads the same zones, each serving its own (ADR 26).
   */
  serves: string[];
}

/** The embedded default: one local zone of process hosts under the working directory. */
export const DEFAULT_CONFIG: VimConfig = {
  defaultZone: 'local',
  zones: [{ name: 'local', driver: 'process', range: '127.10.0.0/16', root: '.vnf-lcm/hosts/local' }],
  serves: ['local'],
};

/** A configuration the adapter cannot start with; the message says what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * VIM_ZONES (inline JSON) wins over VIM_CONFIG (a YAML or JSON file); nothing set means the
 * default. VIM_SERVE_ZONES (a comma list) names the zones this adapter serves.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): VimConfig {
  const serves = env.VIM_SERVE_ZONES?.split(',')
    .map((z) => z.trim())
    .filter(Boolean);
  if (env.VIM_SERVE_ZONES !== undefined && serves?.length === 0) throw new ConfigError('VIM_SERVE_ZONES names no zone');
  if (env.VIM_ZONES) return checkConfig(parseText(env.VIM_ZONES, 'VIM_ZONES'), serves);
  if (env.VIM_CONFIG) {
    let text: string;
    try {
      text = readFileSync(env.VIM_CONFIG, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read VIM_CONFIG file ${env.VIM_CONFIG}: ${(err as Error).message}`);
    }
    return checkConfig(parseText(text, env.VIM_CONFIG), serves);
  }
  return checkConfig(structuredClone(DEFAULT_CONFIG), serves);
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
export function checkConfig(raw: unknown, serves?: string[]): VimConfig {
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
  if (typeof def !== 'string' || !seen.has(def)) throw new ConfigError(`defaultZone ${JSON.stringify(def)} is not one of the zones (${[...seen].join(', ')})`);
  for (const z of serves ?? [])
    if (!seen.has(z)) throw new ConfigError(`VIM_SERVE_ZONES: zone ${JSON.stringify(z)} is not one of the zones (${[...seen].join(', ')})`);
  return { defaultZone: def, zones: zones as ZoneConfig[], serves: [...new Set(serves ?? seen)] };
}

/** How the adapter reconciles the hosts that exist with the hosts the orchestrator's records own. */
export interface ReconcileConfig {
  /** time between two rounds; 0 turns reconciliation off */
  everyMs: number;
  /** how long a host must stay an orphan before it is removed; also how long a new host counts as owned */
  graceMs: number;
  /** false reports orphans without ever removing them */
  remove: boolean;
}

export const DEFAULT_RECONCILE: ReconcileConfig = { everyMs: 5_000, graceMs: 60_000, remove: true };

/** VIM_RECONCILE_MS, VIM_ORPHAN_GRACE_MS, VIM_ORPHAN_REMOVE; unset means the default. */
export function loadReconcileConfig(env: NodeJS.ProcessEnv = process.env): ReconcileConfig {
  return {
    everyMs: millis(env, 'VIM_RECONCILE_MS', DEFAULT_RECONCILE.everyMs),
    graceMs: millis(env, 'VIM_ORPHAN_GRACE_MS', DEFAULT_RECONCILE.graceMs),
    remove: flag(env, 'VIM_ORPHAN_REMOVE', DEFAULT_RECONCILE.remove),
  };
}

function millis(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  if (!/^\d{1,10}$/.test(v)) throw new ConfigError(`${name} must be a whole number of milliseconds, got ${JSON.stringify(v)}`);
  return Number(v);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (!v) return fallback;
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}
