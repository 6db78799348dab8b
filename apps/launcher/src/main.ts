#!/usr/bin/env node
import { Command, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { authFromEnv, Installation, natsAuthOptions, RECONNECTING, type TlsFiles } from '@vnf-lcm/auth';
import { Access } from '@vnf-lcm/contracts';
import { CORE_PROBES, waitForServices } from '@vnf-lcm/bus/ready';
import { Supervised } from './supervisor.js';
import { formatRecord, LOG_FORMATS, record, type LogFormat, type LogRecord } from './log-lines.js';
import { deployAndShow } from './demo.js';
import { removeHostsLeft, terminateAll } from './teardown.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = (app: string) => resolve(root, 'apps', app, 'dist/main.js');

const program = new Command('vnf-lcm')
  .description('run vnf-lcm locally: an embedded nats-server (unless NATS_URL is set) and the services, supervised')
  .option('--data <dir>', 'where NATS data and virtual hosts live', resolve(root, '.vnf-lcm'))
  .option('--port <n>', 'port of the embedded nats-server', '4222')
  .option('--monitor <n>', 'monitoring port of the embedded nats-server (/connz)', '8222')
  .option('--deploy <file>', 'deploy this descriptor once everything is up')
  .option('--fresh', 'start from empty state (removes --data first)')
  .option(
    '--teardown',
    'on Ctrl-C, terminate every VNF (vnf.ao.terminate) and remove any host left before stopping; without it the hosts outlive the launcher and the next start on --data takes them back',
  )
  .option('--teardown-timeout <s>', 'how long --teardown waits for the terminations before removing what is left directly', '120')
  .option('--no-tls', 'clients talk to the embedded server in plain text (TLS with a CA made in --data is the default)')
  .option('--tls-cert <file>', "the embedded server's certificate (with --tls-key and --tls-ca): the operator's own instead of one made here")
  .option('--tls-key <file>', "the embedded server's private key")
  .option('--tls-ca <file>', 'the CA that signed --tls-cert, which every client verifies the server with')
  .option('--console <n>', 'port of the web console on 127.0.0.1 (docs/adr/0019-web-console.md)', '8223')
  .option('--no-console', 'no web console, and no WebSocket listener on the embedded nats-server')
  .option('--websocket <n>', "port of the embedded nats-server's WebSocket listener on 127.0.0.1, which the console's page uses", '8224')
  .addOption(
    new Option(
      '--log-format <format>',
      "json: every line a JSON object with the writing process's name in `service` (a service's pino line as it is, any other line in `msg`); text: time level service msg key=value, for people",
    )
      .choices(LOG_FORMATS)
      .default('json'),
  );

program.parse();
const o = program.opts<{
  data: string;
  port: string;
  monitor: string;
  deploy?: string;
  fresh?: boolean;
  teardown?: boolean;
  teardownTimeout: string;
  tls: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  console: string | false;
  websocket: string;
  logFormat: LogFormat;
}>();
const data = resolve(o.data);
const print = (r: LogRecord) => process.stdout.write(`${formatRecord(r, o.logFormat)}\n`);
/** the launcher's own lines: service vnf-lcm */
const log = (msg: string, level = 'info', fields: Record<string, unknown> = {}) => print(record('vnf-lcm', msg, level, fields));

if (o.fresh) rmSync(data, { recursive: true, force: true });
mkdirSync(data, { recursive: true });

const procs: Supervised[] = [];
let url = process.env.NATS_URL;
/** the embedded server's identities and TLS; with NATS_URL the operator's own environment is passed on */
let security: Installation | undefined;
if (!url) {
  let bin: string;
  try {
    bin = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    log('nats-server is not installed: apt-get install nats-server (or set NATS_URL to a running server)', 'fatal');
    process.exit(1);
  }
  url = `nats://127.0.0.1:${o.port}`;
  security = await prepareSecurity();
  const args = ['-c', security.configFile];
  procs.push(new Supervised({ name: 'nats', command: bin, args }, print).start());
  log(`nats-server on ${url} (operator mode${security.tls ? ', TLS' : ''}), monitoring http://127.0.0.1:${o.monitor}/connz`);
  const clientEnv = security.env(Access.Role.devops);
  const envFile = resolve(data, 'env');
  // for vnfctl and the nats CLI in another terminal: `. .vnf-lcm/env` (paths only, no secret)
  writeFileSync(envFile, `${[`export NATS_URL=${url}`, ...Object.entries(clientEnv).map(([k, v]) => `export ${k}=${v}`)].join('\n')}\n`);
  log(`DevOps credentials: ${clientEnv.NATS_CREDS}${security.tls ? `, CA ${security.tls.ca}` : ''}; for vnfctl: . ${envFile}`);
}

/** Identities (made on the first start; --fresh makes new ones), TLS, and nats.conf in --data. */
async function prepareSecurity(): Promise<Installation> {
  const given = [o.tlsCert, o.tlsKey, o.tlsCa].filter(Boolean).length;
  if (given !== 0 && given !== 3) {
    log('--tls-cert, --tls-key and --tls-ca go together', 'fatal');
    process.exit(2);
  }
  const tls: boolean | TlsFiles = !o.tls ? false : given === 3 ? { cert: resolve(o.tlsCert!), key: resolve(o.tlsKey!), ca: resolve(o.tlsCa!) } : true;
  try {
    return await Installation.prepare(resolve(data, 'security'), {
      tls,
      port: Number(o.port),
      monitorPort: Number(o.monitor),
      storeDir: resolve(data, 'nats'),
      ...(o.console !== false ? { websocket: { host: '127.0.0.1', port: Number(o.websocket) } } : {}),
    });
  } catch (err) {
    log(`cannot prepare identities and TLS: ${(err as Error).message}`, 'fatal');
    process.exit(1);
  }
}

/** What each service is given: its own identity on the embedded server, or the caller's environment. */
const envOf = (role: Access.Role): Record<string, string> => security?.env(role) ?? {};

const env = {
  NATS_URL: url,
  // descriptors may name working folders under these (the examples, and apps/ in --data)
  VNF_APP_ROOTS: process.env.VNF_APP_ROOTS ?? [resolve(root, 'examples'), resolve(data, 'apps')].join(':'),
  VIM_ZONES:
    process.env.VIM_ZONES ??
    JSON.stringify({
      defaultZone: 'local',
      zones: [
        { name: 'local', driver: 'process', range: '127.10.0.0/16', root: resolve(data, 'hosts/local') },
        // a second place to migrate to: `vnfctl migrate web backend --zone edge`
        { name: 'edge', driver: 'process', range: '127.11.0.0/16', root: resolve(data, 'hosts/edge') },
      ],
    }),
};
for (const app of ['orchestrator', 'vnfm', 'vim-adapter'] as const)
  procs.push(new Supervised({ name: app, command: process.execPath, args: [dist(app)], env: { ...env, ...envOf(app) } }, print).start());
// the console's page talks to the embedded server over WebSocket, as the read-only observer
if (security && o.console !== false) {
  const consoleEnv = { CONSOLE_PORT: o.console, CONSOLE_WS_URL: `ws://127.0.0.1:${o.websocket}`, ...envOf(Access.Role.observer) };
  procs.push(new Supervised({ name: 'console', command: process.execPath, args: [dist('console')], env: consoleEnv }, print).start());
  log(`web console on http://127.0.0.1:${o.console}/ (--console <port> to move it, --no-console for none)`, 'info', { url: `http://127.0.0.1:${o.console}/` });
}

// Signals are handled before anything can block (connecting waits for nats-server): the children
// lead their own process groups, so a launcher killed by a signal it did not handle would orphan them.
let nc: NatsConnection | undefined;
let keeper: { close(): Promise<void> } | undefined;
let stopping = false;
/** a second Ctrl-C while --teardown waits for the terminations: stop waiting, remove what is left */
const impatient = new AbortController();
const stop = async (code = 0) => {
  if (stopping) {
    if (o.teardown && !impatient.signal.aborted) {
      log('Ctrl-C again: not waiting for the terminations; removing the hosts left directly', 'warn');
      impatient.abort();
    }
    return;
  }
  stopping = true;
  log('stopping');
  if (o.teardown && nc) await teardown(nc);
  await nc?.close().catch(() => undefined);
  await keeper?.close();
  await stopProcs();
  log('stopped');
  process.exit(code);
};
/** the supervised processes named (all by default), in the reverse of their start: nats-server last */
const stopProcs = async (names?: string[]) => {
  for (const p of [...procs].reverse()) if (!names || names.includes(p.spec.name)) await p.stop();
};

/**
 * --teardown: every VNF terminated through the AO while everything runs, so that each node
 * leaves its cluster before its host goes and the VNFM takes no removal for a failure (issue
 * 13.7: removing the hosts under a running VNFM raced its healing). Then the VNFM and the AO stop,
 * so that nothing asks for healing or makes a host while the hosts left are removed directly.
 */
async function teardown(nc: NatsConnection) {
  const timeoutMs = Number(o.teardownTimeout) * 1000;
  await terminateAll(nc, log, Number.isFinite(timeoutMs) && timeoutMs >= 0 ? timeoutMs : 120_000, impatient.signal).catch((e) =>
    log(`teardown: ${(e as Error).message}`, 'error'),
  );
  await stopProcs(['console', 'vnfm', 'orchestrator']);
  await removeHostsLeft(nc, log).catch((e) => log(`teardown: hosts left not removed: ${(e as Error).message}`, 'error'));
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  const retry = RECONNECTING;
  // the launcher tears hosts down and waits on every service: admin on its own server
  nc = security
    ? await security.connect(url, 'vnf-lcm-launcher', Access.Role.admin, retry)
    : await connect({ servers: url, name: 'vnf-lcm-launcher', ...natsAuthOptions(authFromEnv()), ...retry });
  // the keeper holds the operator's key: it revokes the identities of removed nodes
  if (security) keeper = await security.startKeeper(url, (fields, msg) => print(record('keeper', msg, 'info', fields)));
  await waitForServices(nc);
  log(`services up: ${CORE_PROBES.map((p) => p.service).join(', ')}`);
  if (o.deploy) {
    const ok = await deployAndShow(nc, url, resolve(o.deploy), log, print, envOf(Access.Role.devops));
    if (!ok) log('deployment did not complete; see `vnfctl ops` and `vnfctl trace <op>`', 'error');
  }
  log('running; Ctrl-C stops everything');
} catch (err) {
  // a stop in progress closes the connection under these steps; that is not a failure
  if (!stopping) {
    log((err as Error).message, 'error');
    await stop(1);
  }
}
