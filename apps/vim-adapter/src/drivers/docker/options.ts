import { isAbsolute } from 'node:path';
import { Descriptor } from '@vnf-lcm/contracts';
import { ConfigError, type ZoneConfig } from '../../config.js';
import { parseCidr, type Cidr } from '../address.js';

/** A docker zone's options, checked. */
export interface DockerZone {
  zone: string;
  /** the addresses given out, one per host; inside 127.0.0.0/8 with the host network */
  range: Cidr;
  /** the image a host of the zone runs when its application names none (AppSpec.image) */
  image: string;
  /** 'host' (each host binds its own loopback address) or a user-defined network with static addresses */
  network: string;
  /** HostConfig.NanoCpus; undefined: no limit */
  nanoCpus?: number;
  /** HostConfig.Memory in bytes; undefined: no limit */
  memory?: number;
  /** who the agent and its application run as in the container: never root */
  uid: number;
  gid: number;
  /**
   * Sets apart the containers of one VIM from another's on the same Docker host: a label on every
   * container, and part of its name unless `default`. Each VIM lists and removes its scope only.
   */
  scope: string;
  /** the agents' NATS_URL; default the adapter's own (fine with the host network) */
  natsUrl?: string;
  /** VNF_APP_ROOTS inside the containers */
  appRoots: string;
  /** the agent root image (scripts/images.mjs) */
  agentImage: string;
  /** the Docker Engine's unix socket */
  socket: string;
  helloTimeoutMs: number;
  /** how long an agent asked to shut down may take before it gets signals */
  exitGraceMs: number;
}

export const DEFAULT_IMAGE = 'vnf-lcm/examples:latest';
export const DEFAULT_AGENT_IMAGE = 'vnf-lcm/agent-root:latest';
export const DEFAULT_APP_ROOTS = '/srv';
export const DEFAULT_USER = '65534:65534';
export const DEFAULT_SCOPE = 'default';

const LOOPBACK = parseCidr('127.0.0.0/8')!;
const KEYS = new Set(['name', 'driver', 'range', 'image', 'network', 'cpus', 'memory', 'user', 'scope', 'natsUrl', 'appRoots', 'agentImage', 'socket']);
/** a local Docker image reference, as the descriptor's `image`: name[:tag][@digest] */
const IMAGE_RE = new RegExp(Descriptor.IMAGE_PATTERN);
const NETWORK_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SCOPE_RE = /^[a-z0-9][a-z0-9-]{0,23}$/;
/** Docker refuses less than 6 MiB */
const MIN_MEMORY = 6 * 1024 * 1024;
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** The Docker socket DOCKER_HOST names (unix:// only), else the usual one. */
function defaultSocket(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

export function checkDockerZone(z: ZoneConfig, env: NodeJS.ProcessEnv = process.env): DockerZone {
  const bad = (what: string): never => {
    throw new ConfigError(`zone ${z.name}: ${what}`);
  };
  const unknown = Object.keys(z).filter((k) => !KEYS.has(k));
  if (unknown.length) bad(`unknown option(s) ${unknown.join(', ')} for driver docker`);

  const network = z.network ?? 'host';
  if (typeof network !== 'string' || !NETWORK_RE.test(network)) bad(`"network" must be 'host' or a network's name, got ${JSON.stringify(z.network)}`);
  // the default bridge gives no container a chosen address; none has no address at all
  if (network === 'bridge' || network === 'none') bad(`"network" ${network} cannot give each host its own address: use 'host' or a user-defined network`);

  const range = typeof z.range === 'string' ? parseCidr(z.range) : undefined;
  if (!range) return bad(`"range" must be an IPv4 CIDR such as 127.11.0.0/16, got ${JSON.stringify(z.range)}`);
  // with the host network every host binds its own loopback address, as a process host does
  if (network === 'host' && (range.first < LOOPBACK.first || range.last > LOOPBACK.last))
    bad(`range ${z.range} must lie inside 127.0.0.0/8 with the host network`);

  const image = z.image ?? DEFAULT_IMAGE;
  if (typeof image !== 'string' || !IMAGE_RE.test(image)) bad(`"image" must be an image reference such as vnf-lcm/examples, got ${JSON.stringify(z.image)}`);
  const agentImage = z.agentImage ?? DEFAULT_AGENT_IMAGE;
  if (typeof agentImage !== 'string' || !IMAGE_RE.test(agentImage)) bad(`"agentImage" must be an image reference, got ${JSON.stringify(z.agentImage)}`);

  let nanoCpus: number | undefined;
  if (z.cpus !== undefined) {
    if (typeof z.cpus !== 'number' || !Number.isFinite(z.cpus) || z.cpus <= 0 || z.cpus > 1024)
      bad(`"cpus" must be a number of CPUs above 0, got ${JSON.stringify(z.cpus)}`);
    nanoCpus = Math.round((z.cpus as number) * 1e9);
  }
  const memory = z.memory === undefined ? undefined : bytes(z.memory);
  if (memory !== undefined && (Number.isNaN(memory) || memory < MIN_MEMORY))
    bad(`"memory" must be at least 6m (bytes, or a number with k, m or g), got ${JSON.stringify(z.memory)}`);

  const user = z.user ?? DEFAULT_USER;
  const m = typeof user === 'string' ? /^(\d{1,10}):(\d{1,10})$/.exec(user) : null;
  if (!m) return bad(`"user" must be uid:gid in numbers (the image's own names are unknown here), got ${JSON.stringify(z.user)}`);
  const uid = Number(m[1]);
  const gid = Number(m[2]);
  if (uid === 0 || gid === 0) bad(`"user" must be unprivileged: applications never run as root or group root, got ${user}`);

  const scope = z.scope ?? DEFAULT_SCOPE;
  if (typeof scope !== 'string' || !SCOPE_RE.test(scope)) bad(`"scope" must be a short lowercase token, got ${JSON.stringify(z.scope)}`);

  if (z.natsUrl !== undefined && (typeof z.natsUrl !== 'string' || !/^(nats|tls):\/\/\S+$/.test(z.natsUrl)))
    bad(`"natsUrl" must be a nats:// or tls:// URL, got ${JSON.stringify(z.natsUrl)}`);

  const appRoots = z.appRoots ?? DEFAULT_APP_ROOTS;
  if (typeof appRoots !== 'string') return bad(`"appRoots" must be absolute folders separated by ':', got ${JSON.stringify(z.appRoots)}`);
  const parsed = Descriptor.parseAppRoots(appRoots);
  if (parsed.ignored.length) bad(`"appRoots": ${parsed.ignored.map((i) => `${i.root}: ${i.reason}`).join('; ')}`);
  if (!parsed.roots.length) bad('"appRoots" names no folder');

  const socket = z.socket ?? defaultSocket(env);
  if (typeof socket !== 'string' || !isAbsolute(socket))
    bad(`"socket" must be the absolute path of the Docker Engine's socket, got ${JSON.stringify(z.socket)}`);

  return {
    zone: z.name,
    range,
    image: image as string,
    network: network as string,
    nanoCpus,
    memory,
    uid,
    gid,
    scope: scope as string,
    natsUrl: z.natsUrl as string | undefined,
    appRoots: parsed.roots.join(':'),
    agentImage: agentImage as string,
    socket: socket as string,
    helloTimeoutMs: 15_000,
    exitGraceMs: 10_000,
  };
}

/** 268435456, '256m', '1g', '512k' -> bytes; NaN for anything else */
function bytes(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number.NaN;
  if (typeof v !== 'string') return Number.NaN;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)$/i.exec(v.trim());
  return m ? Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]) : Number.NaN;
}
