import { mkdirSync } from 'node:fs';
import { replyError } from '@vnf-lcm/bus/wire';
import type { Agent, Descriptor } from '@vnf-lcm/contracts';
import type { AppHost } from './app-host.js';
import { writeJsonAtomic } from './files.js';
import { errorText, httpGet } from './probe.js';
import { runCommand } from './process.js';

const Timing = {
  reloadTimeoutMs: 30_000,
  reloadConfirmMs: 5_000,
  confirmPollMs: 5,
} as const;

/** whether a node of `before` is missing from `after`: then a reload must be confirmed */
export function lost(before: Descriptor.Endpoint[], after: Descriptor.Endpoint[]): boolean {
  return before.some((b) => !after.some((a) => a.node === b.node && a.address === b.address && a.port === b.port));
}

/**
 * What one health answer says of the config generation `want`: applied, behind (ask again),
 * unreported (an application that reports none is taken at its signal's word), or unreadable
 * (not JSON this instant: ask again).
 */
export type GenerationSeen = 'applied' | 'behind' | 'unreported' | 'unreadable';

export function generationSeen(body: string, want: number): GenerationSeen {
  let got: unknown;
  try {
    got = (JSON.parse(body) as { generation?: unknown }).generation;
  } catch {
    return 'unreadable';
  }
  if (typeof got !== 'number') return 'unreported';
  return got >= want ? 'applied' : 'behind';
}

/** The application's config file (Agent.AppConfig), and making a running app re-read it. */
export class AppConfig {
  constructor(private readonly host: AppHost) {}

  /** A new generation of the file, from the state; none before an application is created. */
  write(): void {
    const { s, env, paths } = this.host;
    if (!s.app) return;
    mkdirSync(paths.appDir, { recursive: true });
    const config: Agent.AppConfig = {
      node: env.node,
      vnf: s.vnf ?? '',
      cluster: s.cluster ?? '',
      address: env.address,
      port: s.app.port,
      version: s.app.version,
      members: s.members,
      endpoints: s.endpoints,
      generation: (s.generation = (s.generation ?? 0) + 1),
    };
    writeJsonAtomic(paths.config, config);
  }

  /**
   * Save, rewrite the config and make a running app re-read it. `confirm`: answer only once the
   * app reports it applied the change; needed when a node was dropped (it must get no more
   * requests once we answer), not when one was added (sending to it early is harmless).
   */
  async apply(op: string, reload: boolean, confirm = false): Promise<void> {
    const host = this.host;
    host.save();
    const app = host.s.app;
    if (!app || host.s.state === 'absent') return;
    this.write();
    const proc = host.proc;
    // never signal an app whose start has not completed (state starting): it may not handle
    // the signal yet, and the default action of most is to die; it reads the new file at start
    if (!reload || !proc?.alive || host.s.state !== 'running') return;
    const how = app.reload;
    if (how?.signal) {
      try {
        proc.signal(how.signal);
      } catch (err) {
        throw replyError('step_failed', `cannot signal the application: ${errorText(err)}`);
      }
    }
    if (how?.command?.length) {
      const failed = await runCommand(how.command, host.spawnOptions(app), Timing.reloadTimeoutMs);
      if (failed) throw replyError('step_failed', `reload command failed: ${failed}`);
    }
    if (how?.signal || how?.command?.length) {
      const applied = confirm && (await this.awaitGeneration(app));
      host.log.info({ op, pid: proc.pid, generation: host.s.generation, confirmed: applied }, 'application reloaded');
    }
  }

  /**
   * Waits until the application's health answer reports the config generation just written:
   * true once it does, false when it reports none; a step failure when it stays behind.
   */
  private async awaitGeneration(app: Descriptor.AppSpec): Promise<boolean> {
    const { s, env } = this.host;
    const path = s.health?.http;
    const want = s.generation ?? 0;
    if (!path) return false;
    const deadline = Date.now() + Timing.reloadConfirmMs;
    while (Date.now() < deadline) {
      try {
        const seen = generationSeen((await httpGet(`http://${env.address}:${app.port}${path}`, 1000)).body, want);
        if (seen === 'applied') return true;
        if (seen === 'unreported') return false;
      } catch {
        /* not answering this instant: try again until the deadline */
      }
      await new Promise((r) => setTimeout(r, Timing.confirmPollMs));
    }
    throw replyError('step_failed', `application did not apply config generation ${want} in ${Timing.reloadConfirmMs} ms`);
  }
}
