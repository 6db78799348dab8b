import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequest, eachNode, eventually, healthApp } from '../../../test/support/agent-node.js';
import { HealthTally } from './health-monitor.js';

const ADDRESS = '127.0.71.3';

describe('HealthTally: failures in a row to unhealthy, one answer to healthy again', () => {
  test('unhealthy at the third failure in a row, said once', () => {
    const t = new HealthTally(3);
    expect([t.failed(true), t.failed(true), t.failed(true)]).toEqual([false, false, true]);
    // recorded as unhealthy now: further failures are no news
    expect([t.failed(false), t.failed(false)]).toEqual([false, false]);
    expect(t.failures).toBe(5);
  });

  test('an answer between failures starts the count again', () => {
    const t = new HealthTally(3);
    t.failed(true);
    t.failed(true);
    expect(t.passed(true)).toBe(false);
    expect([t.failed(true), t.failed(true)]).toEqual([false, false]);
    expect(t.failures).toBe(2);
  });

  test('healthy again at the first answer after being unhealthy (or before anything was said)', () => {
    const t = new HealthTally(3);
    expect(t.passed(false)).toBe(true);
    expect(t.passed(undefined)).toBe(true);
    expect(t.passed(true)).toBe(false);
  });
});

describe('HealthMonitor on a real application', () => {
  const each = eachNode('n4', ADDRESS);

  /** the health app, started, its failures counted as the heartbeat would hear of them */
  async function watched(port: number, env: Record<string, string> = {}) {
    const apps = each.manager();
    const seen = { failures: 0 };
    apps.onFailure = () => seen.failures++;
    await apps.create(createRequest(healthApp(port, { env })), 'op-1');
    const { app } = await apps.start('op-2');
    return { apps, app, seen };
  }

  test('an app that stops answering healthy is flagged after three failures, reported once, and healthy again once it answers', async () => {
    const sick = join(each.n.env.workdir, 'sick');
    const { apps, app, seen } = await watched(18301, { HEALTH_APP_SICK: sick });

    writeFileSync(sick, '');
    const flagged = await eventually('unhealthy', () => (apps.status().app.healthy === false ? apps.status().app : undefined));
    expect(flagged).toMatchObject({ state: 'running', pid: app.pid, reason: 'health check failed 3 times: health check answered 503' });
    expect(seen.failures).toBe(1);
    // probed at least twice more (every 500 ms at the least): no second report
    await new Promise((r) => setTimeout(r, 1_200));
    expect(seen.failures).toBe(1);

    rmSync(sick);
    const healed = await eventually('healthy again', () => (apps.status().app.healthy === true ? apps.status().app : undefined));
    expect(healed).toEqual(app);
    expect(each.n.logged('application healthy again')).toHaveLength(1);
  });

  test('an exit nobody asked for is a failure, reported at once, and not restarted', async () => {
    const { apps, app, seen } = await watched(18302);
    process.kill(app.pid!, 'SIGKILL');
    const failed = await eventually('failed', () => (apps.status().app.state === 'failed' ? apps.status().app : undefined));
    expect(failed).toEqual({ state: 'failed', version: 'v1', port: 18302, reason: 'process killed by SIGKILL' });
    expect(seen.failures).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    expect(apps.status().app.state).toBe('failed');
    expect(each.n.logged('application spawned')).toHaveLength(1);
  });

  test('a stop is no failure', async () => {
    const { apps, seen } = await watched(18303);
    expect((await apps.stop('op-3')).app).toEqual({ state: 'stopped', version: 'v1', port: 18303 });
    await new Promise((r) => setTimeout(r, 600));
    expect(seen.failures).toBe(0);
  });
});
