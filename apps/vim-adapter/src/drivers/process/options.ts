import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ZoneConfig } from '../../config.js';
import { parseCidr, type Cidr } from '../address.js';
import { DEFAULT_USER, resolveRunAs, unreachable, type RunAs } from './run-as.js';

export interface ProcessZone {
  zone: string;
  range: Cidr;
  /** absolute folder holding one sub-folder per host */
  root: string;
  /** the vnf-agent entry point each host runs */
  agentMain: string;
  helloTimeoutMs: number;
  /** how long an agent asked to shut down may take before it gets signals */
  exitGraceMs: number;
  /** when the adapter is root: the unprivileged user agents and applications run as */
  runAs?: RunAs;
  /** how many spare agents are kept ready for the next host starts (ADR 27): VIM_SPARE_AGENT, default 1, 0 none */
  spareAgents: number;
}

const LOOPBACK = parseCidr('127.0.0.0/8')!;
/** each an idle Node.js process of about 48 MB resident, 11 MB of it its own */
const MAX_SPARES = 16;
const KEYS = new Set(['name', 'driver', 'range', 'root', 'user']);

// dist/drivers/process/options.js -> apps/vnf-agent/dist/; the bundle (npm run build makes it),
// entered through agent.cjs with its code cache, starts in less than half the time of the module
// graph, and every host starts an agent (ADR 28, 30)
const AGENT_DIST = fileURLToPath(new URL('../../../../vnf-agent/dist/', import.meta.url));
const BUILT_AGENT = existsSync(resolve(AGENT_DIST, 'agent.cjs')) ? resolve(AGENT_DIST, 'agent.cjs') : resolve(AGENT_DIST, 'main.js');

export function checkProcessZone(z: ZoneConfig, env: NodeJS.ProcessEnv = process.env): ProcessZone {
  const unknown = Object.keys(z).filter((k) => !KEYS.has(k));
  if (unknown.length) throw new ConfigError(`zone ${z.name}: unknown option(s) ${unknown.join(', ')} for driver process`);
  const range = typeof z.range === 'string' ? parseCidr(z.range) : undefined;
  if (!range) throw new ConfigError(`zone ${z.name}: "range" must be an IPv4 CIDR such as 127.10.0.0/16, got ${JSON.stringify(z.range)}`);
  // all of 127/8 is loopback on Linux, so hosts need no network setup; other ranges would
  if (range.first < LOOPBACK.first || range.last > LOOPBACK.last) throw new ConfigError(`zone ${z.name}: range ${z.range} must lie inside 127.0.0.0/8`);
  if (typeof z.root !== 'string' || z.root.trim() === '') throw new ConfigError(`zone ${z.name}: "root" must be the folder that holds the hosts`);
  if (z.user !== undefined && (typeof z.user !== 'string' || !/^[a-z_][a-z0-9_-]{0,31}$/.test(z.user) || z.user === 'root'))
    throw new ConfigError(`zone ${z.name}: "user" must name an unprivileged account, got ${JSON.stringify(z.user)}`);
  const root = isAbsolute(z.root) ? z.root : resolve(process.cwd(), z.root);
  const agentMain = env.VNF_AGENT_MAIN ? resolve(env.VNF_AGENT_MAIN) : BUILT_AGENT;
  // a root adapter never lets an application run as root: agents and applications run as
  // an unprivileged user, who must be able to reach the agent's code and the hosts' folders
  const runAs = resolveRunAs((z.user as string | undefined) ?? DEFAULT_USER);
  if (runAs) {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    for (const path of [root, agentMain]) {
      const why = existsSync(path) ? unreachable(path, runAs) : undefined;
      if (why) throw new ConfigError(`zone ${z.name}: agents run as ${runAs.user}, but ${why}`);
    }
  }
  const spareAgents = Number(env.VIM_SPARE_AGENT || 1);
  if (!Number.isInteger(spareAgents) || spareAgents < 0 || spareAgents > MAX_SPARES)
    throw new ConfigError(
      `VIM_SPARE_AGENT must be a whole number of spare agents per zone from 0 to ${MAX_SPARES}, got ${JSON.stringify(env.VIM_SPARE_AGENT)}`,
    );
  return { zone: z.name, range, root, agentMain, helloTimeoutMs: 15_000, exitGraceMs: 10_000, runAs, spareAgents };
}
