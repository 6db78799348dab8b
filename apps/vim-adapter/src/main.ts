import 'reflect-metadata';
import { createLogger, main } from '@vnf-lcm/bus';
import { Participant } from '@vnf-lcm/contracts';
import { ConfigError, loadConfig, loadReconcileConfig, type ReconcileConfig, type VimConfig } from './config.js';
import { checkDrivers } from './drivers/registry.js';
import { NodeIdentities } from './identities.js';
import { vimModule } from './vim.module.js';

const log = createLogger('vim-adapter');

let config: VimConfig;
let reconcile: ReconcileConfig;
let source = process.env.VIM_ZONES ? 'VIM_ZONES' : process.env.VIM_CONFIG || 'default';
try {
  config = loadConfig();
  checkDrivers(config);
  NodeIdentities.check();
  source = 'environment';
  reconcile = loadReconcileConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.fatal({ source }, `invalid vim configuration: ${err.message}`);
  process.exit(2);
}
log.info({ defaultZone: config.defaultZone, zones: config.zones.map((z) => `${z.name}:${z.driver}`), serves: config.serves }, 'zones');
log.info(reconcile, reconcile.everyMs > 0 ? 'host reconciliation' : 'host reconciliation off');

// agents are detached, so stopping the adapter (SIGTERM or otherwise) leaves every host running.
// A queue group, as the other services (zone-list); each served zone's subjects have a queue group
// of their own (host.controller.ts): two adapters of one zone (docs/cluster.md) share its requests,
// instead of both creating the host each request names
await main({ name: 'vim-adapter', queue: 'vim-adapter', participant: Participant.vim, module: vimModule(config, reconcile), log });
