import { existsSync, readdirSync, readFileSync } from 'node:fs';

/*
 * Reading /proc, for the two that look after processes by pid: the VIM's process driver (its
 * agents) and the agent (its application). A pid alone may have been reused by the time we look,
 * so both tell theirs by what /proc says of it: its state, environment, command line, start time.
 * No Nest and no NATS here: the agent imports it (@vnf-lcm/bus/procfs) into its small bundle.
 */

/** Linux; elsewhere the callers fall back to a signal probe. */
export const HAS_PROC = existsSync('/proc/self/stat');

/** The fields of /proc/<pid>/stat the callers use. */
export interface ProcStat {
  /** R, S, D…; Z a zombie nobody reaped yet, X dead */
  state: string;
  ppid: number;
  pgid: number;
  /** clock ticks since boot: what tells this process from a later one with the same pid */
  start: string;
}

/** undefined when the pid is gone (or without /proc) */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // after the command's name, which may hold spaces and parentheses: state is field 3
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] };
  } catch {
    return undefined;
  }
}

/** Running means there, and neither a zombie nor dead. */
export function procRunning(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** /proc/<pid>/environ as NAME=value entries; undefined when gone or not ours to read */
export const procEnviron = (pid: number): string[] | undefined => nulList(pid, 'environ');

/** /proc/<pid>/cmdline as its arguments; undefined when gone or not ours to read */
export const procCmdline = (pid: number): string[] | undefined => nulList(pid, 'cmdline');

/** Every pid in /proc but our own; none without /proc. */
export function procPids(): number[] {
  if (!HAS_PROC) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function nulList(pid: number, file: 'environ' | 'cmdline'): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}
