import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../config.js';

/** The unprivileged account agents and applications run as when the VIM adapter is root. */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export const DEFAULT_USER = 'vnf-lcm';

/**
 * undefined when the adapter is not root (its children run as its own user, as any process it
 * starts would); otherwise the account, created (a system user without login or home) if missing.
 */
export function resolveRunAs(user: string = DEFAULT_USER): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const found = lookup(user);
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', user], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    // two adapters starting at once: the other one made it
    const again = lookup(user);
    if (again) return again;
    throw new ConfigError(`cannot create the unprivileged user ${user} for applications: ${e.stderr?.toString().trim() || e.message}`);
  }
  const made = lookup(user);
  if (!made) throw new ConfigError(`user ${user} was created but cannot be found`);
  return made;
}

function lookup(user: string): RunAs | undefined {
  try {
    const line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const [, , uid, gid] = line.split(':');
    return { user, uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/**
 * Why `as` could not reach `path` (every folder above it searchable, the path itself readable),
 * or undefined if it can. Checked at start-up, so that a host never fails later for a folder's
 * mode: a checkout under /root, say, is not reachable by another user.
 */
export function unreachable(path: string, as: RunAs): string | undefined {
  const full = resolve(path);
  for (let dir = dirname(full), last = ''; dir !== last; last = dir, dir = dirname(dir)) {
    if (!allows(dir, as, 0o1)) return `${dir} is not searchable by ${as.user} (chmod o+x ${dir}, or choose another folder)`;
  }
  return allows(full, as, 0o4) ? undefined : `${full} is not readable by ${as.user}`;
}

/** whether the mode bits give `as` the permission `bit` (4 read, 1 search) on `path` */
function allows(path: string, as: RunAs, bit: number): boolean {
  let st;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  const shift = st.uid === as.uid ? 6 : st.gid === as.gid ? 3 : 0;
  return ((st.mode >> shift) & bit) === bit;
}
