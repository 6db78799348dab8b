import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { eachNode, healthApp, spawnStray } from '../../../test/support/agent-node.js';
import { alive, waitDead } from '../../../test/support/procs.js';
import { chooseStrays, takeOver, type FoundApp } from './adoption.js';
import { AppHost } from './app-host.js';
import { emptyState, StateStore, type AgentState } from './state.js';

const ADDRESS = '127.0.71.2';
const v1 = healthApp(18201);

describe('chooseStrays: which unrecorded applications are adopted, which killed', () => {
  const stray = (pid: number, version = 'v1', leader = true): FoundApp => ({ pid, version, leader });

  test('the only one, of the spec version, leading its group, with nothing of ours running: adopted', () => {
    const only = stray(10);
    expect(chooseStrays([only], false, v1)).toEqual({ keep: only, kill: [] });
  });

  test('every other case: all killed', () => {
    const cases: [FoundApp[], boolean, typeof v1 | undefined][] = [
      [[stray(10, 'v0')], false, v1], // another version would answer for the one we start
      [[stray(10, 'v1', false)], false, v1], // not a group leader: not started by an agent
      [[stray(10)], true, v1], // our own process runs already
      [[stray(10)], false, undefined], // no spec (nothing created): nothing to keep
      [[stray(10), stray(11)], false, v1], // two: which one would be ours?
    ];
    for (const [found, running, app] of cases) expect(chooseStrays(found, running, app)).toEqual({ keep: undefined, kill: found });
  });

  test('no strays: nothing to do', () => {
    expect(chooseStrays([], false, v1)).toEqual({ keep: undefined, kill: [] });
  });
});

describe('takeOver with real processes', () => {
  const each = eachNode('n2', ADDRESS);

  test('adopts the one stray of the spec version, and kills every other', async () => {
    const { n } = each;
    const host = new AppHost(n.env, n.log);
    const keep = await spawnStray(n, 18202, 'v1');
    const other = await spawnStray(n, 18203, 'v0');
    // two found: neither is kept
    expect(takeOver(host, v1, 'op-1')).toBeUndefined();
    expect(await waitDead(keep.pid!)).toBe(true);
    expect(await waitDead(other.pid!)).toBe(true);
    expect(n.logged('stray application killed').map((l) => l.pid)).toEqual(expect.arrayContaining([keep.pid, other.pid]));

    const only = await spawnStray(n, 18202, 'v1');
    const adopted = takeOver(host, v1, 'op-2');
    expect(adopted).toMatchObject({ pid: only.pid, adopted: true });
    expect(alive(only.pid!)).toBe(true);
    await adopted!.stop(2_000);
  });

  test('a stray that leads no process group (no agent started it so) is killed', async () => {
    const { n } = each;
    const host = new AppHost(n.env, n.log);
    const lone = await spawnStray(n, 18204, 'v1', false);
    expect(takeOver(host, v1, 'op-1')).toBeUndefined();
    expect(await waitDead(lone.pid!)).toBe(true);
  });
});

describe('recovery when the agent restarts (a real application)', () => {
  const each = eachNode('n3', ADDRESS);
  const save = (s: Partial<AgentState>) =>
    new StateStore(each.n.paths).save({ ...emptyState(), vnf: 'web', cluster: 'backend', app: v1, health: { http: '/health' }, ...s });
  const saved = (): AgentState => JSON.parse(readFileSync(each.n.paths.state, 'utf8'));

  test('the recorded pid alive and ours: adopted, still running, no second copy', async () => {
    const { n } = each;
    const app = await spawnStray(n, 18201, 'v1');
    save({ state: 'running', pid: app.pid, healthy: true, starts: 1 });
    const apps = each.manager();
    expect(apps.status().app).toEqual({ state: 'running', pid: app.pid, version: 'v1', port: 18201, healthy: true });
    expect(n.logged('application adopted')).toEqual([expect.objectContaining({ pid: app.pid })]);
    expect(n.logged('application spawned')).toEqual([]);
    // a stop reaches the adopted process too
    await apps.stop('op-1');
    expect(await waitDead(app.pid!)).toBe(true);
  });

  test('the recorded pid gone: failed (nobody stopped it), with the reason, and saved so', async () => {
    const gone = spawn(process.execPath, ['-e', '0']);
    await once(gone, 'exit');
    save({ state: 'running', pid: gone.pid, healthy: true, starts: 1 });
    const apps = each.manager();
    const expected = { state: 'failed', version: 'v1', port: 18201, reason: 'application was gone when the agent restarted' };
    expect(apps.status().app).toEqual(expected);
    expect(saved()).toMatchObject({ state: 'failed', reason: expected.reason });
    expect(saved().pid).toBeUndefined();
  });

  test('the recorded pid alive but another process (a reused pid): failed, and that process left alone', async () => {
    const { n } = each;
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    n.spawned.push(stranger);
    await once(stranger, 'spawn');
    save({ state: 'starting', pid: stranger.pid, starts: 1 });
    const apps = each.manager();
    expect(apps.status().app).toMatchObject({ state: 'failed', reason: 'application was gone when the agent restarted' });
    expect(alive(stranger.pid!)).toBe(true);
  });

  test('no pid recorded but a stray of the spec version runs: adopted, and its start finished', async () => {
    const { n } = each;
    const stray = await spawnStray(n, 18201, 'v1');
    save({ state: 'stopped', starts: 1 });
    const apps = each.manager();
    expect(apps.status().app).toMatchObject({ state: 'starting', pid: stray.pid });
    // the start requests queue behind the unfinished start, and find it done
    expect((await apps.start('op-1')).app).toMatchObject({ state: 'running', pid: stray.pid, healthy: true, restarts: 1 });
    expect(n.logged('stray application adopted')).toHaveLength(1);
  });
});
