import { procEnviron, procPids, procStat } from '@vnf-lcm/bus/procfs';
import type { Descriptor } from '@vnf-lcm/contracts';
import type { AppHost } from './app-host.js';
import type { HealthMonitor } from './health-monitor.js';
import { AppProcess, isOurApp } from './process.js';

/** A live process carrying our marks: an application some agent of this node started. */
export interface FoundApp {
  pid: number;
  /** its VNF_VERSION */
  version?: string;
  /** leads its own process group, as every app an agent spawns does (a group kill reaches all of it) */
  leader: boolean;
}

/**
 * Every live process with our marks in its environment, except those whose parent has them
 * too: an app's own children inherit its environment, and they go with their app.
 */
export function findOurApps(marks: string[]): FoundApp[] {
  const found = new Map<number, { ppid: number; pgid: number; version?: string }>();
  for (const pid of procPids()) {
    // gone meanwhile, or not readable: not one of ours
    const env = procEnviron(pid);
    if (!env || !marks.every((m) => env.includes(m))) continue;
    const stat = procStat(pid);
    if (!stat || stat.state === 'Z') continue;
    const version = env.find((e) => e.startsWith('VNF_VERSION='))?.slice('VNF_VERSION='.length);
    found.set(pid, { ppid: stat.ppid, pgid: stat.pgid, version });
  }
  return [...found].filter(([, p]) => !found.has(p.ppid)).map(([pid, p]) => ({ pid, version: p.version, leader: p.pgid === pid }));
}

/** SIGKILL to an app we do not keep: its whole group when it leads one. */
export function killApp(app: FoundApp): void {
  try {
    process.kill(app.leader ? -app.pid : app.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Which strays (applications of this node the state does not record) to keep: the only one, when
 * no process of ours runs, the spec is known, the stray leads its group (as every app an agent
 * spawns does) and is of the spec's version. Every other one is killed, so that it cannot answer
 * for the app we start next.
 */
export function chooseStrays(found: FoundApp[], running: boolean, app: Descriptor.AppSpec | undefined): { keep?: FoundApp; kill: FoundApp[] } {
  const only = found.length === 1 ? found[0] : undefined;
  const keep = !running && app && only?.leader && only.version === app.version ? only : undefined;
  return { keep, kill: found.filter((f) => f !== keep) };
}

/**
 * Applications of this node that the state does not record: an agent killed between spawning
 * its app and saving the pid leaves one running. Adopts (returns) or kills them, see chooseStrays.
 */
export function takeOver(host: AppHost, app: Descriptor.AppSpec | undefined, op: string): AppProcess | undefined {
  const current = host.proc?.alive ? host.proc.pid : undefined;
  const found = findOurApps(host.marks()).filter((f) => f.pid !== current);
  const { keep, kill } = chooseStrays(found, current !== undefined, app);
  for (const f of kill) {
    killApp(f);
    host.log.warn({ op, pid: f.pid, version: f.version }, 'stray application killed');
  }
  if (!keep) return undefined;
  host.log.info({ op, pid: keep.pid, version: keep.version }, 'stray application adopted');
  return AppProcess.adopt(keep.pid, host.marks());
}

/**
 * After an agent restart the application may still run: adopt it if the recorded pid is alive
 * and is ours, so that a restart never starts a second copy; if it is gone, say so. A stray is
 * adopted or killed (takeOver). Returns the process whose start the previous agent did not see
 * through: the caller finishes it before any request runs.
 */
export function recover(host: AppHost, monitor: HealthMonitor): AppProcess | undefined {
  const s = host.load();
  const marks = host.marks();
  const pid = s.pid;
  const wasUp = s.state === 'running' || s.state === 'starting';
  if (wasUp && pid !== undefined && isOurApp(pid, marks)) {
    host.proc = AppProcess.adopt(pid, marks);
    monitor.watch(host.proc);
    host.log.info({ pid }, 'application adopted');
    if (s.state === 'running') monitor.start();
  } else if (wasUp) {
    // nobody stopped it: it died with the agent (a container killed, a host rebooted). Failed, not
    // stopped, so that the VNFM heals the node: a stopped application is one an operation stopped
    Object.assign(s, { state: 'failed', pid: undefined, healthy: undefined, reason: 'application was gone when the agent restarted' });
    host.log.warn({ pid }, 'application was gone when the agent restarted');
  }
  const stray = takeOver(host, s.state === 'absent' ? undefined : s.app, 'none');
  if (stray) {
    host.proc = stray;
    monitor.watch(stray);
    Object.assign(s, { state: 'starting', pid: stray.pid, reason: undefined, healthy: undefined, starts: s.starts + 1 });
  }
  host.save();
  return host.proc && s.state === 'starting' && s.app ? host.proc : undefined;
}
