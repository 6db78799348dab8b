import { readFileSync } from 'node:fs';
import { errorBodyOf } from '@vnf-lcm/bus/wire';
import { createRequest, eachNode, healthApp } from '../../../test/support/agent-node.js';
import { generationSeen, lost } from './app-config.js';
import type { AppManager } from './app-manager.js';

const ADDRESS = '127.0.71.4';
const node = (name: string, port = 9000) => ({ node: name, address: '127.0.71.200', port });

describe('lost: whether a reconfiguration dropped a node (then the reload must be confirmed)', () => {
  test('a node gone, or moved to another address or port, is lost', () => {
    expect(lost([node('a'), node('b')], [node('a')])).toBe(true);
    expect(lost([node('a')], [{ ...node('a'), address: '127.0.71.201' }])).toBe(true);
    expect(lost([node('a')], [node('a', 9001)])).toBe(true);
  });

  test('the same nodes in another order, or one added, lose nothing', () => {
    expect(lost([node('a'), node('b')], [node('b'), node('a')])).toBe(false);
    expect(lost([node('a')], [node('a'), node('b')])).toBe(false);
    expect(lost([], [node('a')])).toBe(false);
    expect(lost([], [])).toBe(false);
  });
});

describe('generationSeen: what a health answer says of the config generation', () => {
  test('applied at the generation or a later one; behind below it', () => {
    expect(generationSeen('{"generation":4}', 4)).toBe('applied');
    expect(generationSeen('{"generation":5}', 4)).toBe('applied');
    expect(generationSeen('{"generation":3}', 4)).toBe('behind');
  });

  test('an answer without a number reports none; one that is not a JSON object cannot be read', () => {
    expect(generationSeen('{"status":"ok"}', 4)).toBe('unreported');
    expect(generationSeen('{"generation":"4"}', 4)).toBe('unreported');
    expect(generationSeen('ok', 4)).toBe('unreadable');
    expect(generationSeen('null', 4)).toBe('unreadable');
  });
});

describe('reload confirmation by generation (a real application)', () => {
  const each = eachNode('n5', ADDRESS);
  const reloads = () => each.n.logged('application reloaded');
  const generation = () => (JSON.parse(readFileSync(each.n.paths.config, 'utf8')) as { generation: number }).generation;

  /** the health app, started, with members a and b, reloaded by SIGHUP */
  async function running(port: number, env: Record<string, string> = {}): Promise<AppManager> {
    const apps = each.manager();
    const app = healthApp(port, { env, reload: { signal: 'SIGHUP' } });
    await apps.create(createRequest(app, { members: [node('a'), node('b')] }), 'op-1');
    await apps.start('op-2');
    return apps;
  }

  test('a dropped member is answered only once the app reports the new generation; an added one at once', async () => {
    const apps = await running(18401);
    await apps.reconfigureCluster([node('a')], 'op-3');
    expect(reloads()).toEqual([expect.objectContaining({ op: 'op-3', generation: generation(), confirmed: true })]);
    await apps.reconfigureCluster([node('a'), node('c')], 'op-4');
    expect(reloads()[1]).toMatchObject({ op: 'op-4', confirmed: false });
  });

  test("an app that reports no generation is taken at its signal's word", async () => {
    const apps = await running(18402, { HEALTH_APP_QUIET: '1' });
    await apps.reconfigureCluster([node('a')], 'op-3');
    expect(reloads()).toEqual([expect.objectContaining({ op: 'op-3', confirmed: false })]);
  });

  test('an app that never applies the new config fails the step, naming the generation', async () => {
    const apps = await running(18403, { HEALTH_APP_DEAF: '1' });
    const err = await apps.reconfigureClient('db', [], 'op-3').then(
      () => undefined,
      (e: unknown) => e,
    );
    // the client endpoints of `db` were none before: nothing dropped, nothing to confirm
    expect(err).toBeUndefined();
    const refused = await apps.reconfigureCluster([node('b')], 'op-4').catch((e: unknown) => errorBodyOf(e));
    expect(refused).toMatchObject({ err_code: 'step_failed', description: `application did not apply config generation ${generation()} in 5000 ms` });
    // the app itself is left running: whether to heal it is the VNFM's call
    expect(apps.status().app).toMatchObject({ state: 'running', healthy: true });
  });
});
