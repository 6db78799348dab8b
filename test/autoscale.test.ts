import { Query, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { Load } from './support/load.js';
import { diagram, fits } from './support/seqcheck.js';
import { System } from './support/system.js';

const sys = new System(50);
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const opsOf = async (algorithm: string) =>
  (await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'auto' })).ops.filter((o) => o.algorithm === algorithm);

test('load above the policy scales the backend out; without load it scales back in after the cooldown, never below the minimum', async () => {
  const d = example('web', (d) => {
    d.name = 'auto';
    d.clusters[0] = { ...d.clusters[0], nodes: 1, min: 1, max: 2, autoscale: { metric: 'rps', out: 20, in: 5, cooldownMs: 1500 } };
    d.clusters[1].nodes = 1;
  });
  expect((await sys.deploy(d)).state).toBe('COMPLETED');
  const v = await sys.vnf('auto');
  const url = `http://${v.nodes.frontend[0].address}:${v.nodes.frontend[0].port}/`;

  const load = new Load(() => [url], 3, 60_000, 10);
  const out = await waitFor('a scale-out by the VNFM', async () => (await opsOf('scale-out')).find((o) => o.state === 'COMPLETED'));
  // keep the load on a little longer: at the maximum (2) the VNFM asks for nothing more
  await new Promise((r) => setTimeout(r, 3000));
  const samples = await load.stop();
  expect(Load.failures(samples)).toEqual([]);
  expect(out).toMatchObject({ requestedBy: 'VNFM' });
  expect(String(out.params.reason)).toMatch(/^rps \d+(\.\d+)? > 20$/);
  expect((await opsOf('scale-out')).length).toBe(1);
  expect((await sys.vnf('auto')).nodes.backend).toHaveLength(2);
  const wsd = await sys.trace(out.id);
  expect(fits(diagram('scale-out'), wsd)).toMatchObject({ ok: true });
  expect(wsd).toContain('VNFM->AO: request scale-out');
  expect(wsd.trimEnd().endsWith('AO->VNFM: notify')).toBe(true);

  const scaledIn = await waitFor('a scale-in by the VNFM', async () => (await opsOf('scale-in')).find((o: Query.OpSummary) => o.state === 'COMPLETED'));
  expect(Date.parse(scaledIn.startedAt) - Date.parse(out.endedAt!)).toBeGreaterThanOrEqual(1500);
  expect(fits(diagram('scale-in'), await sys.trace(scaledIn.id))).toMatchObject({ ok: true });
  // at the minimum: no further scale-in, however quiet it stays
  await new Promise((r) => setTimeout(r, 4000));
  expect((await opsOf('scale-in')).length).toBe(1);
  expect((await sys.vnf('auto')).nodes.backend).toHaveLength(1);
});
