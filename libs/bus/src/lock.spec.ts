import { KeyedLock } from './lock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('keyed lock', () => {
  test('tasks of one key run one after another, other keys alongside', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const task = (name: string) => async () => {
      order.push(`${name} start`);
      await tick();
      order.push(`${name} end`);
    };
    await Promise.all([lock.run('a', task('a1')), lock.run('a', task('a2')), lock.run('b', task('b1'))]);
    expect(order.indexOf('a1 end')).toBeLessThan(order.indexOf('a2 start'));
    expect(order.indexOf('b1 start')).toBeLessThan(order.indexOf('a1 end'));
  });

  test('what a task holds keeps the key locked after its result is out, even if it fails', async () => {
    const lock = new KeyedLock();
    let release!: () => void;
    const write = new Promise<void>((_, reject) => (release = () => reject(new Error('refused'))));
    const events: string[] = [];
    const first = lock.run('k', async (hold) => {
      hold(write);
      return 'reply';
    });
    const second = lock.run('k', async () => void events.push('second ran'));
    expect(await first).toBe('reply');
    await tick();
    expect(events).toEqual([]);
    release();
    await second;
    expect(events).toEqual(['second ran']);
  });

  test('a failed task does not stop the next one', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await lock.run('k', async () => 'next')).toBe('next');
  });
});
