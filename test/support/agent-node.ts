import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { procEnviron } from '@vnf-lcm/bus/procfs';
import type { Agent, Descriptor } from '@vnf-lcm/contracts';
import { AppManager } from '../../apps/vnf-agent/src/app-manager.js';
import { createLog, type Log } from '../../apps/vnf-agent/src/log.js';
import { HostPaths } from '../../apps/vnf-agent/src/state.js';
import { alive } from './procs.js';

/*
 * For the agent's unit specs (apps/vnf-agent/src/*.spec.ts): a node of their own in a temp folder,
 * its log kept in memory, and real application processes (test/fixtures/apps/health-app.mjs).
 */

export const HEALTH_APP = resolve(import.meta.dirname, '../fixtures/apps/health-app.mjs');

export interface SpecNode {
  env: { node: string; address: string; workdir: string; heartbeatMs: number };
  paths: HostPaths;
  log: Log;
  /** the messages logged so far */
  logged: (msg: string) => Record<string, unknown>[];
  /** spawned by the spec itself: killed with their groups by cleanup() */
  spawned: ChildProcess[];
  cleanup: () => void;
}

export function specNode(node: string, address: string): SpecNode {
  const workdir = mkdtempSync(join(tmpdir(), `vnf-agent-spec-${node}-`));
  const lines: Record<string, unknown>[] = [];
  const spawned: ChildProcess[] = [];
  return {
    env: { node, address, workdir, heartbeatMs: 250 },
    paths: new HostPaths(workdir),
    log: createLog({ node }, 'debug', (line) => void lines.push(JSON.parse(line))),
    logged: (msg) => lines.filter((l) => l.msg === msg),
    spawned,
    cleanup: () => {
      for (const c of spawned) if (c.pid && alive(c.pid)) killGroup(c.pid);
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh node for each test of the describe block that calls it; after the test, the managers
 * it made are shut down (their applications stopped) and its folder removed.
 */
export function eachNode(node: string, address: string): { readonly n: SpecNode; manager: () => AppManager } {
  let current: SpecNode | undefined;
  const managers: AppManager[] = [];
  beforeEach(() => (current = specNode(node, address)));
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.shutdown();
    current?.cleanup();
  });
  return {
    get n() {
      return current!;
    },
    manager: () => {
      const m = new AppManager(current!.env, current!.log);
      managers.push(m);
      return m;
    },
  };
}

/** The spec of an application running the health app on the node's address. */
export function healthApp(port: number, o: Partial<Descriptor.AppSpec> = {}): Descriptor.AppSpec {
  return { version: 'v1', command: process.execPath, args: [HEALTH_APP], port, ...o };
}

export function createRequest(app: Descriptor.AppSpec, o: Partial<Agent.AppCreate> = {}): Agent.AppCreate {
  return { vnf: 'web', cluster: 'backend', app, health: { http: '/health', intervalMs: 50 }, members: [], endpoints: {}, ...o };
}

/**
 * The health app as an agent of this node would have started it (its marks in the environment),
 * but by nobody the state records: what an agent killed between spawn and save leaves behind.
 * `leader`: in its own process group, as every app an agent spawns is.
 */
export async function spawnStray(n: SpecNode, port: number, version: string, leader = true, env: Record<string, string> = {}): Promise<ChildProcess> {
  mkdirSync(n.paths.appDir, { recursive: true });
  const child = spawn(process.execPath, [HEALTH_APP], {
    detached: leader,
    stdio: 'ignore',
    env: { ...process.env, ...env, VNF_NODE: n.env.node, VNF_CONFIG: n.paths.config, VNF_VERSION: version, VNF_ADDRESS: n.env.address, VNF_PORT: String(port) },
  });
  n.spawned.push(child);
  // until it has exec'd, /proc shows the spec's own environment, without the marks
  await eventually('the stray to carry its marks', () => procEnviron(child.pid!)?.includes(`VNF_CONFIG=${n.paths.config}`));
  return child;
}

export function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
      return;
    } catch {
      /* not a group leader, or gone */
    }
  }
}

export async function eventually<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
