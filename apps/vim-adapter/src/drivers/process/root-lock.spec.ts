import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRootLock } from './root-lock.js';

let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'vnf-rootlock-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('two holders take turns: the second starts once the first is done', async () => {
  const log: string[] = [];
  const task = (name: string) => async () => {
    log.push(`${name} in`);
    await sleep(30);
    log.push(`${name} out`);
  };
  await Promise.all([withRootLock(root, task('a')), withRootLock(root, task('b'))]);
  // whoever comes first, the other starts only once it is done: never interleaved
  expect([
    ['a in', 'a out', 'b in', 'b out'],
    ['b in', 'b out', 'a in', 'a out'],
  ]).toContainEqual(log);
  expect(existsSync(join(root, '.alloc.lock'))).toBe(false);
});

test('a lock left by a holder killed with -9 is taken over', async () => {
  // a pid that surely ran and is gone: a child that exited
  const dead = spawnSync('true').pid;
  writeFileSync(join(root, '.alloc.lock'), String(dead));
  await expect(withRootLock(root, async () => 'ran')).resolves.toBe('ran');
});

test("a live holder's lock is waited for, and released on a failure", async () => {
  writeFileSync(join(root, '.alloc.lock'), String(process.pid));
  let ran = false;
  const p = withRootLock(root, async () => void (ran = true));
  await sleep(50);
  expect(ran).toBe(false);
  rmSync(join(root, '.alloc.lock'));
  await p;
  expect(ran).toBe(true);
  await expect(withRootLock(root, async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
  expect(existsSync(join(root, '.alloc.lock'))).toBe(false);
});
