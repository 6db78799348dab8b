import type { Records } from '@vnf-lcm/contracts';
import type { HostInfo } from './drivers/driver.js';
import { Orphans } from './orphans.js';
import { isOwned, ownersOf } from './ownership.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const host = (node: string, vnf = 'web', createdAt = new Date(T0).toISOString(), zone = 'local'): HostInfo => ({
  node,
  vnf,
  cluster: 'backend',
  zone,
  driver: 'process',
  address: '127.9.0.1',
  state: 'running',
  createdAt,
});
const record = (name: string, nodes: string[], activeOp?: string) =>
  ({
    name,
    nodes: { backend: nodes.map((node) => ({ node, cluster: 'backend', zone: 'local', address: '127.9.0.1', port: 1 })) },
    activeOp,
  }) as unknown as Records.VnfRecord;

test('a host is owned by a record listing its node, by a running operation of its vnf, or by being young', () => {
  const o = ownersOf([record('web', ['web-backend-1']), record('db', [], 'op-1')]);
  const later = T0 + 10_000;
  expect(isOwned(host('web-backend-1'), o, later, 1_000)).toBe(true);
  expect(isOwned(host('db-x-1', 'db'), o, later, 1_000)).toBe(true);
  expect(isOwned(host('web-backend-9'), o, later, 1_000)).toBe(false);
  expect(isOwned(host('ghost-x-1', 'ghost'), o, later, 1_000)).toBe(false);
  expect(isOwned(host('web-backend-9'), o, T0 + 999, 1_000)).toBe(true);
  expect(isOwned(host('web-backend-9'), o, T0 + 1_000, 1_000)).toBe(false);
  // grace 0: no youth at all
  expect(isOwned(host('web-backend-9'), o, T0, 0)).toBe(false);
  expect(isOwned(host('web-backend-9', 'web', 'garbage'), o, T0, 1_000)).toBe(false);
});

test('an orphan keeps its first sighting while it stays one, and loses it when owned, gone or recreated', () => {
  const o = new Orphans();
  const local = new Set(['local']);
  const a = host('a-x-1');
  expect(o.update(local, [a], T0)).toEqual([a]);
  expect(o.update(local, [a], T0 + 500)).toEqual([]);
  expect(o.since(a)).toBe(T0);
  expect(o.show(a)).toMatchObject({ orphan: true, orphanSince: new Date(T0).toISOString() });
  // owned again (or gone): the count starts over next time
  o.update(local, [], T0 + 600);
  expect(o.show(a).orphan).toBeUndefined();
  o.update(local, [a], T0 + 700);
  expect(o.since(a)).toBe(T0 + 700);
  // the same node id created again is another host
  const again = host('a-x-1', 'web', new Date(T0 + 800).toISOString());
  expect(o.since(again)).toBeUndefined();
  expect(o.update(local, [again], T0 + 900)).toEqual([again]);
  expect(o.since(again)).toBe(T0 + 900);
  // a zone that could not be listed keeps its marks
  o.update(new Set(), [], T0 + 1_000);
  expect(o.since(again)).toBe(T0 + 900);
});
