import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = '.alloc.lock';
/** how long to wait between looks at a lock held by another adapter */
const POLL_MS = 10;
/** a lock this old is stale whoever holds it: what it guards takes milliseconds */
const STALE_MS = 30_000;

/**
 * A lock on a zone's root folder shared by every VIM adapter of the zone on this machine (two
 * instances, or a new one while the old one still ends): a new host's address is chosen and its
 * folder written under it, so that two adapters never give two nodes one address (the adapter's
 * own KeyedLock orders only its own requests). A file made with O_EXCL naming its holder's pid:
 * one left by a holder that died (kill -9) is removed by the next one.
 */
export async function withRootLock<T>(root: string, task: () => Promise<T>): Promise<T> {
  const file = join(root, LOCK_FILE);
  await mkdir(root, { recursive: true });
  for (;;) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await stale(file)) await unlink(file).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  try {
    return await task();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}

async function stale(file: string): Promise<boolean> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    if (Date.now() - st.mtimeMs > STALE_MS) return true;
    const pid = Number(text);
    // being written (empty for a moment): not stale
    if (!pid) return false;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // ESRCH: its holder is gone; ENOENT: released meanwhile (try again at once); EPERM: alive
    return (err as NodeJS.ErrnoException).code === 'ESRCH' || (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
