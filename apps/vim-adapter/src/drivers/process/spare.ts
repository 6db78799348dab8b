import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '@vnf-lcm/bus';
import { Agent } from '@vnf-lcm/contracts';
import { type AgentLoader, agentCommand, LOADER_FILE } from './loader.js';
import type { ProcessZone } from './options.js';
import { pidAlive, terminate } from './pids.js';

/** a spare's output until it is assigned (its own log afterwards): Node.js's own words if it fails */
export const SPARE_LOG = 'spare-agent.log';
/** how long after a ready spare died the next one is started: one that keeps dying cannot spin */
const RESPAWN_MS = 1_000;

interface Held {
  child: ChildProcess;
  pid: number;
  ready: boolean;
  /** the agent's code as it was when the spare loaded it: a spare of older code is not used */
  codeMtime: number;
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/**
 * The spare agents of a process zone, one unless VIM_SPARE_AGENT says how many
 * (docs/adr/0027-warm-spare-agent.md): vnf-agents started ahead, as a host's agent is (same code,
 * user and environment, but no node, no identity), that have loaded their code, node:tls and the
 * CA's secure context and wait on stdin for an assignment. A host start takes one instead of
 * paying Node.js's and TLS's start-up again; its replacement is started once that host said
 * hello. A spare is no host: it has no folder, so no listing or reconciliation sees it. It ends
 * with the adapter: killed on close, and when the adapter dies its stdin ends, on which it exits.
 */
export class SparePool {
  private readonly held: Held[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** how many bytes its command line has room for (the title it takes once assigned) */
  private readonly room: number;
  /** the program its title names: Node.js, or the loader it was started through (its /proc/self/exe) */
  private readonly program: string;

  constructor(
    private readonly o: ProcessZone,
    /** the environment a host's agent gets, before anything of a host is added */
    private readonly baseEnv: () => NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly loader?: AgentLoader,
  ) {
    this.program = loader ? join(realpathSync(o.root), LOADER_FILE) : process.execPath;
    // Node.js writes its title over its own command line, from its own path on: not over a
    // loader's path in front of it
    this.room = this.nodeArgs().reduce((n, a) => n + Buffer.byteLength(a) + 1, Buffer.byteLength(process.execPath) + 1);
  }

  get enabled(): boolean {
    return this.o.spareAgents > 0 && !this.closed;
  }

  /** Starts spares up to their number (unless one is due); in the background, nothing waits for them. */
  fill(): void {
    if (!this.enabled || this.timer) return;
    while (this.held.length < this.o.spareAgents) {
      try {
        this.held.push(this.spawn());
      } catch (err) {
        this.log.warn({ zone: this.o.zone, err: (err as Error).message }, 'spare agent not started: hosts start cold');
        return;
      }
    }
  }

  /**
   * The spare, for `node`'s agent, if one is alive and fit for it; it is the pool's no more (the
   * caller assigns it or stops it). undefined: start cold. A spare of code built since is stopped.
   */
  take(node: string): ChildProcess | undefined {
    // the one started first: most likely ready
    const h = this.held.shift();
    if (!h) return undefined;
    h.child.off('exit', h.onExit);
    const alive = h.child.exitCode === null && h.child.signalCode === null && pidAlive(h.pid, Agent.Spare.flag);
    const fits = Buffer.byteLength(Agent.agentTitle(this.program, this.o.agentMain, node, Agent.RuntimeEnv.nodeFlags)) < this.room;
    if (alive && fits && codeMtime(this.o.agentMain) === h.codeMtime) {
      this.log.debug({ zone: this.o.zone, node, pid: h.pid, ready: h.ready }, 'spare agent taken');
      return h.child;
    }
    if (alive) {
      this.log.info({ zone: this.o.zone, node, pid: h.pid, fits }, 'spare agent unfit (the agent was rebuilt since): stopped, starting cold');
      this.dismiss(h);
    }
    return undefined;
  }

  /** Hands the spare its node: one message, then the end of its stdin. */
  assign(child: ChildProcess, a: Agent.SpareAssignment): void {
    child.stdin?.on('error', () => undefined); // a spare that died meanwhile: its exit is reported by the caller's wait
    child.stdin?.end(JSON.stringify(a));
  }

  /**
   * No more spares; those held are killed at once (adapter shutdown): a spare has nothing to lose,
   * no application, no connection, and must be gone when the adapter is.
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const h of this.held.splice(0)) {
      h.child.off('exit', h.onExit);
      h.child.stdin?.destroy();
      if (pidAlive(h.pid, Agent.Spare.flag)) h.child.kill('SIGKILL');
    }
  }

  /** Node.js's arguments: the room for a title, widened by what the loader's path adds to it */
  private nodeArgs(): string[] {
    const wider = Math.max(0, Buffer.byteLength(this.program) - Buffer.byteLength(process.execPath));
    return [...Agent.RuntimeEnv.nodeFlags, this.o.agentMain, Agent.Spare.flag, Agent.Spare.room + ' '.repeat(wider)];
  }

  private command(): [string, string[]] {
    return agentCommand(this.loader?.path(), this.nodeArgs());
  }

  private spawn(): Held {
    const env = this.baseEnv();
    // nothing of the bus but the CA's public certificate until it has its node: no identity, no URL
    for (const k of Object.keys(env)) if (k.startsWith('NATS_') && k !== 'NATS_TLS_CA') delete env[k];
    env.VNF_SPARE_READY_FD = '3';
    const runAs = this.o.runAs;
    if (runAs) Object.assign(env, { HOME: this.o.root, USER: runAs.user, LOGNAME: runAs.user });
    const codeAt = codeMtime(this.o.agentMain);
    const out = openSync(join(this.o.root, SPARE_LOG), 'a');
    let child: ChildProcess;
    try {
      // detached as a host's agent is: it becomes one, and outlives the adapter then
      const [program, args] = this.command();
      child = spawn(program, args, {
        cwd: this.o.root,
        env,
        detached: true,
        stdio: ['pipe', out, out, 'pipe'],
        ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
    } finally {
      closeSync(out);
    }
    const pid = child.pid;
    if (!pid) {
      child.on('error', () => undefined);
      throw new Error('no pid');
    }
    const started = Date.now();
    const h: Held = {
      child,
      pid,
      ready: false,
      codeMtime: codeAt,
      onExit: (code, signal) => {
        const at = this.held.indexOf(h);
        if (at < 0) return;
        this.held.splice(at, 1);
        this.log.warn({ zone: this.o.zone, pid, code, signal, ready: h.ready, ms: Date.now() - started }, 'spare agent exited');
        // one that never got ready would fail again: the next host start tries (cold) and fills
        if (h.ready && this.enabled && !this.timer)
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.fill();
          }, RESPAWN_MS).unref();
      },
    };
    child.on('error', (err) => this.log.warn({ zone: this.o.zone, pid, err: err.message }, 'spare agent failed'));
    child.once('exit', h.onExit);
    const ready = child.stdio[3] as Readable | null;
    ready?.on('error', () => undefined);
    ready?.once('data', () => {
      h.ready = true;
      ready.destroy();
      this.log.debug({ zone: this.o.zone, pid, ms: Date.now() - started }, 'spare agent ready');
    });
    // none of its pipes keeps the adapter running
    for (const s of [child.stdin, ready]) (s as { unref?: () => void } | null)?.unref?.();
    child.unref();
    this.log.debug({ zone: this.o.zone, pid }, 'spare agent started');
    return h;
  }

  /** its stdin ends (on which it exits), and a signal in case it does not at once */
  private dismiss(h: Held): void {
    h.child.stdin?.on('error', () => undefined);
    h.child.stdin?.end();
    void terminate(h.pid, Agent.Spare.flag, { group: true, graceMs: 1_000 });
  }
}

function codeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NaN;
  }
}
