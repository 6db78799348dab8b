import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadReconcileConfig } from './config.js';
import { checkDrivers } from './drivers/registry.js';
import { checkProcessZone } from './drivers/process/options.js';

const load = (env: NodeJS.ProcessEnv) => {
  const c = loadConfig(env);
  checkDrivers(c);
  return c;
};

test('nothing set gives one local process zone under the working directory', () => {
  const c = load({});
  expect(c.defaultZone).toBe('local');
  const z = checkProcessZone(c.zones[0], {});
  expect(z.root).toBe(join(process.cwd(), '.vnf-lcm/hosts/local'));
  expect(z.agentMain).toMatch(/apps\/vnf-agent\/dist\/(main\.js|agent\.cjs)$/);
});

test('VIM_SPARE_AGENT: one spare agent per process zone unless it says how many, 0 none; anything else stops the adapter', () => {
  const z = load({}).zones[0];
  expect(checkProcessZone(z, {}).spareAgents).toBe(1);
  expect(checkProcessZone(z, { VIM_SPARE_AGENT: '0' }).spareAgents).toBe(0);
  expect(checkProcessZone(z, { VIM_SPARE_AGENT: '3' }).spareAgents).toBe(3);
  for (const bad of ['-1', 'yes', '1.5', '17']) expect(() => checkProcessZone(z, { VIM_SPARE_AGENT: bad })).toThrow(/VIM_SPARE_AGENT must be a whole number/);
});

test('VIM_CONFIG reads yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vim-config-'));
  try {
    const file = join(dir, 'zones.yaml');
    writeFileSync(
      file,
      'defaultZone: b\nzones:\n  - { name: a, driver: process, range: 127.40.0.0/24, root: /tmp/a }\n  - name: b\n    driver: process\n    range: 127.41.0.0/24\n    root: hosts\n',
    );
    const c = load({ VIM_CONFIG: file });
    expect(c.defaultZone).toBe('b');
    expect(c.zones.map((z) => z.name)).toEqual(['a', 'b']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.each([
  ['{"zones": [', 'not valid yaml or json'],
  ['just words', 'must be a mapping with "zones", got string'],
  ['{"zones": []}', 'non-empty "zones"'],
  ['{"zones": [{"name": "Local", "driver": "process"}]}', 'lowercase token'],
  ['{"zones": [{"name": "a", "driver": "vmware"}]}', 'unknown driver vmware'],
  ['{"defaultZone": "b", "zones": [{"name": "a", "driver": "process", "range": "127.1.0.0/16", "root": "x"}]}', 'defaultZone "b"'],
  ['{"zones": [{"name": "a", "driver": "process", "range": "127.1.0.0/16"}]}', '"root"'],
  ['{"zones": [{"name": "a", "driver": "process", "range": "127.1.0.0", "root": "x"}]}', 'IPv4 CIDR'],
  ['{"zones": [{"name": "a", "driver": "process", "range": "10.0.0.0/8", "root": "x"}]}', 'inside 127.0.0.0/8'],
  ['{"zones": [{"name": "a", "driver": "process", "range": "127.1.0.0/16", "root": "x", "size": 3}]}', 'unknown option(s) size'],
  [
    '{"zones": [{"name": "a", "driver": "process", "range": "127.1.0.0/16", "root": "x"}, {"name": "a", "driver": "process", "range": "127.2.0.0/16", "root": "y"}]}',
    'configured twice',
  ],
])('VIM_ZONES %s is refused', (text, message) => {
  expect(() => load({ VIM_ZONES: text })).toThrow(ConfigError);
  expect(() => load({ VIM_ZONES: text })).toThrow(message);
});

test("VIM_SERVE_ZONES: an adapter serves its own zones and checks only their drivers' options", () => {
  // zone b's root would be another machine's: its options are not this adapter's to check
  const two = JSON.stringify({
    zones: [
      { name: 'a', driver: 'process', range: '127.1.0.0/16', root: 'x' },
      { name: 'b', driver: 'process', range: '10.0.0.0/8', root: 'y' },
    ],
  });
  const c = load({ VIM_ZONES: two, VIM_SERVE_ZONES: ' a ' });
  expect(c).toMatchObject({ defaultZone: 'a', serves: ['a'] });
  expect(c.zones.map((z) => z.name)).toEqual(['a', 'b']);
  expect(() => load({ VIM_ZONES: two })).toThrow('inside 127.0.0.0/8');
  expect(load({}).serves).toEqual(['local']);
  expect(() => load({ VIM_ZONES: two, VIM_SERVE_ZONES: 'a,mars' })).toThrow('VIM_SERVE_ZONES: zone "mars" is not one of the zones (a, b)');
  expect(() => load({ VIM_ZONES: two, VIM_SERVE_ZONES: ' , ' })).toThrow('VIM_SERVE_ZONES names no zone');
});

test('reconciliation: defaults, overrides, and refusals', () => {
  expect(loadReconcileConfig({})).toEqual({ everyMs: 5_000, graceMs: 60_000, remove: true });
  expect(loadReconcileConfig({ VIM_RECONCILE_MS: '300', VIM_ORPHAN_GRACE_MS: '0', VIM_ORPHAN_REMOVE: 'false' })).toEqual({
    everyMs: 300,
    graceMs: 0,
    remove: false,
  });
  expect(() => loadReconcileConfig({ VIM_RECONCILE_MS: '5s' })).toThrow('VIM_RECONCILE_MS must be a whole number');
  expect(() => loadReconcileConfig({ VIM_ORPHAN_GRACE_MS: '-1' })).toThrow(ConfigError);
  expect(() => loadReconcileConfig({ VIM_ORPHAN_REMOVE: 'maybe' })).toThrow('VIM_ORPHAN_REMOVE must be true or false');
});
