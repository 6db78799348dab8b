#!/usr/bin/env node
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Supervised } from './supervisor.js';
import { deployAndShow, teardown, waitForServices } from './demo.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = (app: string) => resolve(root, 'apps', app, 'dist/main.js');

const program = new Command('vnf-lcm')
  .description('run vnf-lcm locally: an embedded nats-server (unless NATS_URL is set) and the services, supervised')
  .option('--data <dir>', 'where NATS data and virtual hosts live', resolve(root, '.vnf-lcm'))
  .option('--port <n>', 'port of the embedded nats-server', '4222')
  .option('--monitor <n>', 'monitoring port of the embedded nats-server (/connz)', '8222')
  .option('--deploy <file>', 'deploy this descriptor once everything is up')
  .option('--fresh', 'start from empty state (removes --data first)')
  .option('--teardown', 'on Ctrl-C, remove every virtual host before stopping');

program.parse();
const o = program.opts<{ data: string; port: string; monitor: string; deploy?: string; fresh?: boolean; teardown?: boolean }>();
const data = resolve(o.data);
const log = (l: string) => process.stdout.write(l + '\n');

if (o.fresh) rmSync(data, { recursive: true, force: true });
mkdirSync(data, { recursive: true });

const procs: Supervised[] = [];
let url = process.env.NATS_URL;
if (!url) {
  let bin: string;
  try {
    bin = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    log('nats-server is not installed: apt-get install nats-server (or set NATS_URL to a running server)');
    process.exit(1);
  }
  url = `nats://127.0.0.1:${o.port}`;
  const args = ['-a', '127.0.0.1', '-p', o.port, '-m', o.monitor, '-js', '-sd', resolve(data, 'nats')];
  procs.push(new Supervised({ name: 'nats', command: bin, args }, log).start());
  log(`[vnf-lcm] nats-server on ${url}, monitoring http://127.0.0.1:${o.monitor}/connz`);
}

const env = {
  NATS_URL: url,
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
for (const app of ['orchestrator', 'vnfm', 'vim-adapter'])
  procs.push(new Supervised({ name: app, command: process.execPath, args: [dist(app)], env }, log).start());

// Signals are handled before anything can block (connecting waits for nats-server): the children
// lead their own process groups, so a launcher killed by a signal it did not handle would orphan them.
let nc: NatsConnection | undefined;
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  log('[vnf-lcm] stopping');
  if (o.teardown && nc) await teardown(nc, log).catch((e) => log(`[vnf-lcm] teardown: ${(e as Error).message}`));
  await nc?.close().catch(() => undefined);
  for (const p of [...procs].reverse()) await p.stop();
  log('[vnf-lcm] stopped');
  process.exit(code);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  nc = await connect({ servers: url, name: 'vnf-lcm-launcher', waitOnFirstConnect: true, maxReconnectAttempts: -1 });
  await waitForServices(nc);
  log('[vnf-lcm] services up: orchestrator, vnfm, vim-adapter');
  if (o.deploy) {
    const ok = await deployAndShow(nc, url, resolve(o.deploy), log);
    if (!ok) log('[vnf-lcm] deployment did not complete; see `vnfctl ops` and `vnfctl trace <op>`');
  }
  log('[vnf-lcm] running; Ctrl-C stops everything');
} catch (err) {
  // a stop in progress closes the connection under these steps; that is not a failure
  if (!stopping) {
    log(`[vnf-lcm] ${(err as Error).message}`);
    await stop(1);
  }
}
