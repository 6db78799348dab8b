import { Gauge } from 'prom-client';
import type { Vim } from '@vnf-lcm/contracts';

let hosts: (() => Promise<Vim.HostInfo[]>) | undefined;

/** Read from the drivers at each scrape: what the zones hold now, orphans included. */
const nodes = new Gauge({
  name: 'vnf_vim_nodes',
  help: 'Virtual hosts (nodes) the zones hold, by zone, driver and state (creating, running, stopped)',
  labelNames: ['zone', 'driver', 'state'] as const,
  async collect() {
    if (!hosts) return;
    const all = await hosts();
    this.reset();
    for (const h of all) this.inc({ zone: h.zone, driver: h.driver, state: h.state });
  },
});

/** Where the nodes gauge reads the hosts (HostService: every zone's driver). */
export function countHostsOf(read: () => Promise<Vim.HostInfo[]>): void {
  hosts = read;
}
