import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** What the tests look at to tell whose a process is: its arguments, environment, folder and parent. */
export interface Proc {
  pid: number;
  ppid: number;
  cmd: string[];
  env: string[];
  cwd: string;
}

/** Whether `pid` runs; a zombie has exited already. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is gone within `ms`. A SIGKILL takes effect when the kernel next schedules the
 * process: on a busy machine it still runs for a moment after kill() returns.
 */
export async function waitDead(pid: number, ms = 10_000): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) if (!alive(pid)) return true;
  return false;
}

/**
 * The live processes `match` picks, read from /proc: the tests count processes and hosts
 * themselves instead of trusting any record. Our own test process is never picked.
 */
export function findProcesses(match: (p: Proc) => boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!/^\d+$/.test(d) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const p: Proc = {
        pid,
        ppid: Number(fields[1]),
        cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'),
        env: readFileSync(`/proc/${d}/environ`, 'utf8').split('\0'),
        cwd: readlinkSync(`/proc/${d}/cwd`),
      };
      if (match(p)) out.push(pid);
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return out;
}

/**
 * A process's arguments word by word: an agent started from a spare (ADR 27) shows its command
 * line as one title (`<node> <agent> --node=<id>`) written over its arguments.
 */
export const argsOf = (p: Proc): string[] => p.cmd.flatMap((a) => (a.includes(' ') ? a.split(' ') : [a]));

export const envOf = (p: Proc, name: string): string | undefined => p.env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
