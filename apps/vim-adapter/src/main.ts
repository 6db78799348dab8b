import 'reflect-metadata';
import { createLogger, main } from '@vnf-lcm/bus';
import { Participant } from '@vnf-lcm/contracts';
import { ConfigError, loadConfig, type VimConfig } from './config.js';
import { checkDrivers } from './drivers/registry.js';
import { vimModule } from './vim.module.js';

const log = createLogger('vim-adapter');

let config: VimConfig;
try {
  config = loadConfig();
  checkDrivers(config);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.fatal({ source: process.env.VIM_ZONES ? 'VIM_ZONES' : process.env.VIM_CONFIG || 'default' }, `invalid vim configuration: ${err.message}`);
  process.exit(2);
}
log.info({ defaultZone: config.defaultZone, zones: config.zones.map((z) => `${z.name}:${z.driver}`) }, 'zones');

// agents are detached, so stopping the adapter (SIGTERM or otherwise) leaves every host running
await main({ name: 'vim-adapter', participant: Participant.vim, module: vimModule(config), log });
