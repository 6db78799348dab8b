import { readlinkSync, realpathSync } from 'node:fs';
import { HAS_PROC, procCmdline, procEnviron, procPids, procStat } from '@vnf-lcm/bus/procfs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether `pid` runs and is still the process we started: its command line must contain
 * `marker` (e.g. `--node=web-1`), so that a reused pid is not taken for our agent. A zombie
 * has an empty command line and counts as dead.
 */
export function pidAlive(pid: number | undefined, marker?: string): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // without /proc (not Linux) the signal probe is all there is
  if (!HAS_PROC) return true;
  const state = procStat(pid)?.state;
  if (state === undefined || state === 'Z') return false;
  return marker === undefined || hasArg(procCmdline(pid), marker);
}

/**
 * Whether a command line holds `arg`: as one of its arguments, or as a word of its title. An
 * agent started from a spare (ADR 27) writes its command line as one title over its arguments'
 * memory (`<node> <agent> --node=<id>`): /proc then shows one string, the words split by blanks.
 */
export function hasArg(cmdline: string[] | undefined, arg: string): boolean {
  return cmdline?.some((a) => a === arg || (a.includes(' ') && a.split(' ').includes(arg))) === true;
}

/** the folder `pid` runs in; undefined when gone or not ours to read */
function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * What tells this process from a later one with the same pid: its start time (/proc/<pid>/stat,
 * field 22, in clock ticks since boot). undefined when the pid is gone or a zombie. One small read:
 * cheap enough to look at every host's agent many times a second. Without /proc, the signal
 * probe stands in ('alive').
 */
export function processStart(pid: number): string | undefined {
  if (!HAS_PROC) return pidAlive(pid) ? 'alive' : undefined;
  const stat = procStat(pid);
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat.start : undefined;
}

/**
 * Whether the process is gone within `ms`. Looked at every 10 ms for its first second (an agent
 * asked to stop is gone in tens of milliseconds, and a removal waits on it), then every 100 ms.
 */
export async function waitExit(pid: number, marker: string | undefined, ms: number): Promise<boolean> {
  const from = Date.now();
  while (pidAlive(pid, marker)) {
    if (Date.now() >= from + ms) return false;
    await sleep(Date.now() - from < 1000 ? 10 : 100);
  }
  return true;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    /* gone already */
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. With `group`, the whole process group led by `pid`
 * (a detached child leads its own group) so that nothing it spawned in that group survives.
 * Only ever signals a pid that `pidAlive` vouches for.
 */
export async function terminate(pid: number, marker: string | undefined, o: { group: boolean; graceMs: number }): Promise<void> {
  if (!pidAlive(pid, marker)) return;
  const target = o.group ? -pid : pid;
  signal(target, 'SIGTERM');
  if (await waitExit(pid, marker, o.graceMs)) {
    if (o.group) signal(target, 'SIGKILL'); // stragglers of the group
    return;
  }
  signal(target, 'SIGKILL');
  await waitExit(pid, marker, 2_000);
}

/**
 * Live processes whose command line carries `marker` and that run in `workdir` (a cold agent is
 * started there and names it as VNF_WORKDIR; a spare moves there once assigned, its environment
 * as /proc shows it being the one it started with): the agents of one host, recorded or not (an
 * adapter can die between spawning an agent and recording its pid).
 */
export function agentsOf(marker: string, workdir: string): number[] {
  // /proc shows the folder's real path
  let real = workdir;
  try {
    real = realpathSync(workdir);
  } catch {
    /* gone: then so are its agents' folders, and the environment is what is left to tell */
  }
  // gone, or not ours to read: not one of them
  return procPids().filter(
    (pid) =>
      hasArg(procCmdline(pid), marker) && (cwdOf(pid) === real || procEnviron(pid)?.includes(`VNF_WORKDIR=${workdir}`) === true) && pidAlive(pid, marker),
  );
}
