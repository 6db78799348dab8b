/** Hands the lock a promise that must settle before the next task for the key may start. */
export type Hold = (p: Promise<unknown>) => void;

/** Runs the tasks given for one key one after another; different keys run concurrently. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /**
   * `task`'s result is returned as soon as it resolves; whatever it passed to `hold` (a write still
   * on its way, say) keeps the key locked until it settles too.
   */
  run<T>(key: string, task: (hold: Hold) => Promise<T>): Promise<T> {
    const held: Promise<unknown>[] = [];
    const hold: Hold = (p) => void held.push(p.catch(() => undefined));
    const start = () => task(hold);
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(start, start);
    const tail = next.then(
      () => Promise.all(held),
      () => Promise.all(held),
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
