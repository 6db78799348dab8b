import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Descriptor } from '@vnf-lcm/contracts';
import { ROOT } from './system.js';

/** An example descriptor with its relative `cwd` made absolute, as vnfctl sends it. */
export function example(name: string, change?: (d: Descriptor.VnfDescriptor) => void): Descriptor.VnfDescriptor {
  const d = parse(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8')) as Descriptor.VnfDescriptor;
  for (const c of d.clusters) for (const a of [c.app, ...(c.versions ?? [])]) if (a.cwd && !a.cwd.startsWith('/')) a.cwd = join(ROOT, 'examples', a.cwd);
  change?.(d);
  return d;
}

/**
 * The example's backend cluster alone, as VNF `name`: `nodes` nodes (up to `max`), whose
 * application takes `startDelayMs` to answer its health check (BACKEND_START_DELAY_MS).
 */
export function slowBackend(name: string, nodes: number, startDelayMs: number, max = nodes): Descriptor.VnfDescriptor {
  return example('web', (d) => {
    d.name = name;
    d.clusters = [d.clusters[0]];
    d.clusters[0].nodes = nodes;
    d.clusters[0].max = max;
    d.clusters[0].app.env = { BACKEND_START_DELAY_MS: String(startDelayMs) };
  });
}
