#!/usr/bin/env node
// The security set-up and the keeper on their own, for a deployment where nats-server and the
// services run apart (docker-compose.yml): the launcher's first steps without its processes.
import { Command } from 'commander';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const SECURITY = process.env.VNF_LCM_SECURITY || '/var/lib/vnf-lcm/security';
/** where each service's own folder (a volume of its own) is mounted in the set-up's container */
const IDENTITIES = process.env.VNF_LCM_IDENTITIES || '/var/lib/vnf-lcm-identities';
const NATS_URL = process.env.NATS_URL || 'tls://nats:4222';
const MONITOR_URL = (process.env.NATS_MONITOR_URL || 'http://nats:8222').replace(/\/+$/, '');
/** the server's side, as its container sees it: nats.conf says where it listens and keeps JetStream */
const SERVER = {
  host: process.env.VNF_LCM_NATS_HOST || '0.0.0.0',
  port: Number(process.env.VNF_LCM_NATS_PORT || 4222),
  monitorPort: Number(process.env.VNF_LCM_NATS_MONITOR_PORT || 8222),
  storeDir: process.env.VNF_LCM_NATS_STORE || '/data',
  // the web console's WebSocket listener, published on the host's 127.0.0.1 only (docker-compose.yml)
  ...(process.env.VNF_LCM_NATS_WS_PORT ? { websocket: { host: '0.0.0.0', port: Number(process.env.VNF_LCM_NATS_WS_PORT), publishedOnLoopback: true } } : {}),
};
/** folders (under IDENTITIES) of what runs with a people's role: the console reads as the observer */
const READERS = { console: 'observer' } as const;
/** the roles whose credentials a person may take out (`creds`); services get theirs through setup */
const PEOPLE = ['devops', 'observer', 'admin'];

const log = (msg: string, o: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), name: 'keeper', msg, ...o })}\n`);
const die = (msg: string, code = 1): never => {
  process.stderr.write(`vnf-lcm-keeper: ${msg}\n`);
  process.exit(code);
};

/**
 * Identities, TLS and nats.conf in SECURITY (made once, kept after), then each service's
 * credentials and the CA in its own folder: IDENTITIES/<service>/nats.creds, ca.pem (and the
 * agents' signing key for the VIM adapter). A service's folder is all it mounts: it never sees
 * another's credentials, nor the operator's key.
 */
async function setup(handOut = true) {
  const [{ Installation, SERVICE_USERS }, { ensureTlsWithNode }] = await Promise.all([import('@vnf-lcm/auth'), import('./x509.js')]);
  mkdirSync(SECURITY, { recursive: true, mode: 0o711 });
  // made with node:crypto (the image has no openssl); Installation's own TLS step then keeps them
  const fresh = !existsSync(join(SECURITY, 'identity', 'operator.nk'));
  ensureTlsWithNode(join(SECURITY, 'tls'));
  const inst = await Installation.prepare(SECURITY, { tls: true, ...SERVER });
  if (fresh) log('identities, TLS and nats.conf made', { dir: SECURITY });
  const ca = inst.tls!.ca;
  const handed: string[] = [];
  for (const role of handOut ? SERVICE_USERS : []) {
    const dir = join(IDENTITIES, role);
    if (!existsSync(dir)) continue;
    const env = inst.env(role);
    put(env.NATS_CREDS, join(dir, 'nats.creds'), 0o600);
    put(ca, join(dir, 'ca.pem'), 0o644);
    if (env.VIM_AGENT_SIGNER) put(env.VIM_AGENT_SIGNER, join(dir, 'agent-signer.json'), 0o600);
    handed.push(role);
  }
  for (const [name, role] of handOut ? Object.entries(READERS) : []) {
    const dir = join(IDENTITIES, name);
    if (!existsSync(dir)) continue;
    put(inst.env(role).NATS_CREDS, join(dir, 'nats.creds'), 0o600);
    handed.push(`${name} (${role})`);
  }
  if (handed.length) log('service credentials handed out', { services: handed });
  return inst;
}

/** copied atomically (a service starting meanwhile reads the old file or the new one) */
function put(from: string, to: string, mode: number) {
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, to);
}

/**
 * The keeper until SIGTERM: it revokes the identity of every node whose host the VIM removes. It
 * makes the identities too when setup has not (outside compose), but hands nothing out: that is
 * setup's, which alone mounts the services' folders.
 */
async function run() {
  const inst = await setup(false);
  // biome-ignore lint/style/useConst: stop() may run before the keeper is up, and reads it then
  let keeper: { close(): Promise<void> } | undefined;
  const stop = async () => {
    log('stopping');
    await keeper?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  keeper = await inst.startKeeper(NATS_URL, (o, msg) => log(msg, o));
  log('keeper running', { url: NATS_URL });
}

/**
 * A health check that needs no credentials: the server answers its monitoring /healthz (JetStream
 * included), and has a connection named `name` with subscriptions (the service is connected and
 * listening). Exit 0 or 1 with the reason, as Docker's HEALTHCHECK wants.
 */
async function health(name: string) {
  const get = async (path: string) => {
    const r = await fetch(`${MONITOR_URL}${path}`, { signal: AbortSignal.timeout(3000) });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${(await r.text()).trim()}`);
    return r.json() as Promise<any>;
  };
  try {
    await get('/healthz');
    const { connections = [] } = (await get('/connz?limit=4096')) as { connections?: { name?: string; subscriptions?: number }[] };
    const mine = connections.filter((c) => c.name === name);
    if (!mine.length) die(`no connection named ${name} on the server`);
    if (!mine.some((c) => (c.subscriptions ?? 0) > 0)) die(`${name} is connected but listens to nothing yet`);
    process.stdout.write(`${name}: connected\n`);
  } catch (err) {
    die(`nats-server not healthy at ${MONITOR_URL}: ${(err as Error).message}`);
  }
}

async function installation() {
  const { Installation } = await import('@vnf-lcm/auth');
  if (!existsSync(join(SECURITY, 'identity', 'operator.nk'))) die(`no identities in ${SECURITY} yet: run setup first (docker-compose up)`);
  return Installation.prepare(SECURITY, { tls: true, ...SERVER });
}

const program = new Command('vnf-lcm-keeper').description(
  "vnf-lcm's identities, TLS and nats.conf for a nats-server run apart (docker-compose), and the keeper that revokes removed nodes",
);
program
  .command('setup')
  .description(`make identities, TLS and nats.conf in ${SECURITY} (once), and hand each service its credentials in ${IDENTITIES}/<service>`)
  .action(async () => {
    await setup();
  });
program.command('run', { isDefault: true }).description('setup, then the keeper (until SIGTERM)').action(run);
program
  .command('health [name]')
  .description('exit 0 when nats-server is healthy and has a connection <name> that listens (default: the keeper)')
  .action((name?: string) => health(name ?? 'vnf-lcm-keeper'));
program
  .command('creds <role>')
  .description(`print the credentials of a person's role (${PEOPLE.join(', ')}) to standard output`)
  .action(async (role: string) => {
    if (!PEOPLE.includes(role)) die(`creds: role must be one of ${PEOPLE.join(', ')}; services get theirs from setup`, 2);
    const inst = await installation();
    process.stdout.write(readFileSync(inst.env(role as 'devops').NATS_CREDS));
  });
program
  .command('ca')
  .description('print the CA certificate clients verify the server with')
  .action(async () => {
    process.stdout.write(readFileSync((await installation()).tls!.ca));
  });
program
  .command('teardown')
  .description(
    'remove every virtual host (as admin, through the VIM adapter, which has the keeper revoke each identity); stop the VNFM and the orchestrator first',
  )
  .action(async () => {
    const { Access } = await import('@vnf-lcm/contracts');
    const { removeHostsLeft } = await import('./teardown.js');
    const inst = await installation();
    const nc = await inst.connect(NATS_URL, 'vnf-lcm-teardown', Access.Role.admin);
    try {
      // run with the VNFM and the AO stopped (docker-compose.yml): no healing races the removals
      await removeHostsLeft(nc, (l) => process.stdout.write(`${l}\n`));
    } finally {
      await nc.close();
    }
  });

await program.parseAsync().catch((err: Error) => die(err.message));
