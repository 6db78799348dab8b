import type { Query } from '@vnf-lcm/contracts';
import { age, block, health, watchStatus } from './watch.js';

const NOW = Date.parse('2026-12-01T17:00:10.000Z');
const node = (n: string, o: Partial<Query.NodeHealthEntry> = {}): Query.NodeHealthEntry => ({
  node: n,
  cluster: n.split('-')[1],
  address: '127.0.0.2',
  zone: 'local',
  version: 'v1',
  ...o,
});

test('health and age read as an operator says them', () => {
  expect(health(node('w-b-1', { state: 'active', app: { state: 'running' } }))).toBe('running healthy');
  expect(health(node('w-b-1', { state: 'active', app: { state: 'running', healthy: false } }))).toBe('running unhealthy');
  expect(health(node('w-b-1', { state: 'active', app: { state: 'failed' } }))).toBe('failed');
  expect(health(node('w-b-1', { state: 'active' }))).toBe('unknown');
  expect(health(node('w-b-1'))).toBe('not managed');
  expect(age(undefined, NOW)).toBe('never');
  expect(age('2026-12-01T17:00:09.600Z', NOW)).toBe('0.4 s ago');
  expect(age('2026-12-01T16:55:10.000Z', NOW)).toBe('5 min ago');
});

test('a block: the VNF, then its nodes under their clusters', () => {
  const b = block(
    { vnf: 'w', nodes: [node('w-b-1', { app: { state: 'running' }, state: 'active', lastSeen: '2026-12-01T17:00:09.000Z' }), node('w-f-1')] },
    NOW,
  );
  expect(b.split('\n')).toEqual([
    'w  17:00:10.000  2 nodes',
    '  b',
    '    w-b-1                    running healthy    last seen 1.0 s ago    127.0.0.2  v1  zone local',
    '  f',
    '    w-f-1                    not managed        last seen never        127.0.0.2  v1  zone local',
    '',
  ]);
});

test('not on a terminal a block is printed only when something changed; a failed read after the first is a warning, not the end', async () => {
  const replies: (Query.NodeHealthReply | Error)[] = [
    { vnf: 'w', nodes: [node('w-b-1', { lastSeen: '2026-12-01T17:00:01.000Z' })] },
    { vnf: 'w', nodes: [node('w-b-1', { lastSeen: '2026-12-01T17:00:01.000Z' })] },
    new Error('no reply'),
    { vnf: 'w', nodes: [node('w-b-1', { lastSeen: '2026-12-01T17:00:02.000Z' })] },
  ];
  let i = 0;
  const out: string[] = [];
  const warn: string[] = [];
  const request = async <T>() => {
    const r = replies[i++];
    if (r instanceof Error) throw r;
    return r as T;
  };
  await watchStatus(
    request,
    { vnf: 'w', intervalMs: 0, tty: false, json: false, write: (s) => out.push(s), warn: (s) => warn.push(s) },
    () => i >= replies.length,
    async () => undefined,
  );
  expect(out).toHaveLength(2);
  expect(out[1].startsWith('\nw  ')).toBe(true);
  expect(warn).toEqual(['vnfctl: cannot read node health: no reply; trying again\n', 'vnfctl: reading node health again\n']);
  await expect(
    watchStatus(
      async () => Promise.reject(new Error('not_found')),
      { vnf: 'w', intervalMs: 0, tty: false, json: false, write: () => undefined, warn: () => undefined },
      () => false,
      async () => undefined,
    ),
  ).rejects.toThrow('not_found');
});

test('on a terminal every read redraws the block in place (ages keep counting), changed or not', async () => {
  const reply: Query.NodeHealthReply = { vnf: 'w', nodes: [node('w-b-1', { lastSeen: '2026-12-01T17:00:01.000Z' })] };
  let i = 0;
  const out: string[] = [];
  await watchStatus(
    async <T>() => (i++, reply as T),
    { vnf: 'w', intervalMs: 0, tty: true, json: false, write: (s) => out.push(s), warn: () => undefined },
    () => i >= 3,
    async () => undefined,
  );
  expect(out).toHaveLength(3);
  for (const s of out) expect(s.startsWith('\x1b[H\x1b[2Jw  ')).toBe(true);
});
