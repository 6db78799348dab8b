import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseLine, record, type LogRecord } from './log-lines.js';

export interface ProcSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Children alive now, killed if the launcher exits without stopping them (a crash, process.exit). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Keeps a process running: each of its output lines becomes a record with its name as `service`
 * (log-lines.ts), and it is started again
 * (after a growing pause) when it exits without being asked to.
 *
 * Each child leads its own process group: Ctrl-C in a terminal signals the whole foreground
 * group, and the launcher must be the only one to get it, so that it can tear the virtual hosts
 * down while nats-server and the services are still up, then stop them in order.
 */
export class Supervised {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;

  constructor(
    readonly spec: ProcSpec,
    private readonly out: (r: LogRecord) => void,
  ) {}

  start() {
    const { name, command, args, env } = this.spec;
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    live.add(child);
    for (const [s, stream] of [
      [child.stdout!, 'stdout'],
      [child.stderr!, 'stderr'],
    ] as const)
      createInterface({ input: s }).on('line', (l) => this.out(parseLine(name, l, stream)));
    const started = Date.now();
    child.on('exit', (code, signal) => {
      live.delete(child);
      if (this.stopping) return;
      if (Date.now() - started > 10_000) this.restarts = 0;
      const wait = Math.min(5000, 200 * 2 ** this.restarts++);
      this.out(record(name, `exited (${signal ?? code}); restarting in ${wait} ms`, 'warn', { exit: signal ?? code, restartInMs: wait }));
      setTimeout(() => !this.stopping && this.start(), wait);
    });
    return this;
  }

  get pid() {
    return this.child?.pid;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(t);
  }
}
