import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { HAS_PROC, procEnviron, procRunning } from '@vnf-lcm/bus/procfs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** false for an adopted process: it is not our child, so its exit status is unknown */
  known: boolean;
}

export function describeExit(e: Exit): string {
  if (!e.known) return 'process exited (exit status unknown)';
  if (e.signal) return `process killed by ${e.signal}`;
  return `process exited with code ${e.code}`;
}

/** Alive means running, not a zombie that nobody reaped yet. */
export function isAlive(pid: number): boolean {
  if (HAS_PROC) return procRunning(pid);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a pid is our application and not a recycled pid: only our app has both our node id
 * and our config path in its environment (the agent itself has no VNF_CONFIG).
 */
export function isOurApp(pid: number, marks: string[]): boolean {
  if (!isAlive(pid)) return false;
  const env = procEnviron(pid);
  return env !== undefined && marks.every((m) => env.includes(m));
}

/** our child's exit, status known */
function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal, known: true })));
}

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
}

/** The application process: our child, or one a previous agent started and we adopted. */
export class AppProcess {
  /** set once someone asked it to stop, so that its exit is not a failure */
  stopping = false;
  private exit?: Exit;
  readonly exited: Promise<Exit>;

  private constructor(
    readonly pid: number,
    exited: Promise<Exit>,
    readonly adopted: boolean,
  ) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /**
   * Detached: its own session and process group (pgid = pid), so it outlives an agent crash
   * as an application on a real host would, and a stop reaches all of its children.
   */
  static async spawn(command: string, args: string[], o: SpawnOptions): Promise<AppProcess> {
    const fd = openSync(o.logPath, 'a');
    try {
      const child = spawn(command, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', fd, fd] });
      const exited = exitOf(child);
      await once(child, 'spawn');
      child.on('error', () => undefined);
      return new AppProcess(child.pid!, exited, false);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Not our child, so no exit event: poll until it is gone (or its pid is someone else's); often,
   * so that its death is reported within about as long as a child's (two small reads in /proc).
   */
  static adopt(pid: number, marks: string[], pollMs = 50): AppProcess {
    const exited = new Promise<Exit>((r) => {
      const timer = setInterval(() => {
        if (isOurApp(pid, marks)) return;
        clearInterval(timer);
        r({ code: null, signal: null, known: false });
      }, pollMs);
    });
    return new AppProcess(pid, exited, true);
  }

  /** to the process itself (reload) */
  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  private signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** SIGTERM to the group, SIGKILL after the grace period. */
  async stop(graceMs: number): Promise<Exit> {
    this.stopping = true;
    if (this.exit) return this.exit;
    this.signalGroup('SIGTERM');
    const e = await within(this.exited, graceMs);
    if (e) return e;
    this.signalGroup('SIGKILL');
    const killed = await within(this.exited, 5000);
    return killed ?? { code: null, signal: 'SIGKILL', known: false };
  }
}

/** A short-lived helper (a reload command): undefined on exit 0, else why it failed. */
export async function runCommand(argv: string[], o: SpawnOptions, timeoutMs: number): Promise<string | undefined> {
  const fd = openSync(o.logPath, 'a');
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env: o.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const exited = exitOf(child);
  const failed = new Promise<string>((r) => child.once('error', (err) => r(err.message)));
  const timeout = new Promise<string>((r) => setTimeout(() => r(`no exit in ${timeoutMs} ms`), timeoutMs).unref());
  const outcome = await Promise.race([exited, failed, timeout]);
  if (typeof outcome === 'string') {
    child.kill('SIGKILL');
    return outcome;
  }
  return outcome.code === 0 ? undefined : describeExit(outcome);
}
