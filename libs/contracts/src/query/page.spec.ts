import { listAll, page } from './page.js';

const items = Array.from({ length: 20 }, (_, i) => ({ k: `k${String(i).padStart(2, '0')}`, pad: 'x'.repeat(100) }));
const key = (t: { k: string }) => t.k;

describe('page', () => {
  test('follows the cursor through every item once, at most limit a page', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = page(items, key, { cursor, limit: 7, budget: 1 << 20 });
      expect(p.items.length).toBeLessThanOrEqual(7);
      seen.push(...p.items.map(key));
      if (!p.next) break;
      cursor = p.next;
    }
    expect(seen).toEqual(items.map(key));
  });

  test('cuts a page short at the byte budget, but always gives one item', () => {
    const p = page(items, key, { limit: 20, budget: 256 + 3 * 120 });
    expect(p.items.length).toBeGreaterThan(0);
    expect(p.items.length).toBeLessThan(20);
    expect(p.next).toBe(p.items.at(-1)!.k);
    expect(page(items, key, { limit: 20, budget: 1 }).items).toHaveLength(1);
  });

  test('the last page has no next; past the end is empty', () => {
    expect(page(items, key, { cursor: 'k15', limit: 7, budget: 1 << 20 })).toEqual({ items: items.slice(16) });
    expect(page(items, key, { cursor: 'k99', limit: 7, budget: 1 << 20 })).toEqual({ items: [] });
  });
});

describe('listAll', () => {
  test('asks with each next until a page has none', async () => {
    const asked: unknown[] = [];
    const all = await listAll<{ xs: typeof items; next?: string }, (typeof items)[number]>(
      async (_s, b) => {
        asked.push(b);
        const p = page(items, key, { cursor: b.cursor as string | undefined, limit: 8, budget: 1 << 20 });
        return { xs: p.items, ...(p.next ? { next: p.next } : {}) };
      },
      'subject',
      { limit: 8 },
      (r) => r.xs,
    );
    expect(all).toEqual(items);
    expect(asked).toEqual([{ limit: 8 }, { limit: 8, cursor: 'k07' }, { limit: 8, cursor: 'k15' }]);
  });

  test('refuses a cursor that does not move', async () => {
    await expect(
      listAll(
        async () => ({ next: 'same' }),
        's',
        {},
        () => [],
      ),
    ).rejects.toThrow(/did not move/);
  });
});
