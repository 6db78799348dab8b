import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Access } from '@vnf-lcm/contracts';
import { diagram, fits } from './support/seqcheck.js';
import { dist, ROOT, System } from './support/system.js';

const sys = new System(54);
const run = promisify(execFile);
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

/** vnfctl as an operator runs it, with DevOps credentials: exit code, stdout, stderr. */
async function vnfctl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const env = { ...process.env, ...sys.envOf(Access.Role.devops) };
    const r = await run(process.execPath, [dist('vnfctl'), '-s', sys.nats.url, ...args], { timeout: 120_000, env });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

test('scale-out, scale-in, heal, upgrade and migrate from the command line, each with --wait', async () => {
  expect((await vnfctl('deploy', join(ROOT, 'examples/web.yaml'), '--wait')).code).toBe(0);

  const out = await vnfctl('scale-out', 'web', 'backend', '--by', '1', '--wait');
  expect(out.code).toBe(0);
  expect(out.out).toMatch(/scale-out of backend from 3 to 4 nodes started/);
  expect(out.out.split('\n').filter((l) => l.includes('activate virtual host'))).toHaveLength(1);
  expect(out.out).toMatch(/COMPLETED in/);

  const scaleIn = await vnfctl('--json', 'scale-in', 'web', 'backend', '--nodes', '2', '--wait');
  expect(scaleIn.code).toBe(0);
  const lines = scaleIn.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ op: expect.any(String), state: 'STARTING' });
  expect(lines.at(-1)).toMatchObject({ step: 'operation', state: 'COMPLETED' });
  expect(fits(diagram('scale-in'), (await vnfctl('trace', lines[0].op)).out)).toMatchObject({ ok: true });

  const node = (await sys.vnf('web')).nodes.backend[0].node;
  expect((await vnfctl('heal', 'web', node, '--wait')).code).toBe(0);
  expect((await sys.vnf('web')).nodes.backend.map((n) => n.node)).not.toContain(node);

  expect((await vnfctl('upgrade', 'web', 'backend', '--version', 'v2', '--wait')).code).toBe(0);
  expect((await sys.vnf('web')).nodes.backend.map((n) => n.version)).toEqual(['v2', 'v2']);

  expect((await vnfctl('migrate', 'web', 'frontend', '--zone', 'edge', '--wait')).code).toBe(0);
  expect((await sys.vnf('web')).nodes.frontend.map((n) => n.zone)).toEqual(['edge', 'edge']);

  const status = await vnfctl('status', 'web');
  expect(status.out).toMatch(/backend {2}2\/3 nodes/);
});

test('bad targets exit 1 with the structured error (2 when the command line itself is wrong), and change nothing', async () => {
  const before = await sys.hosts();
  for (const [args, code, exit] of [
    [['scale-in', 'web', 'backend', '--nodes', '0'], 'invalid_request', 1],
    [['scale-out', 'web', 'backend', '--nodes', 'many'], 'invalid_request', 2],
    [['scale-out', 'web', 'nope'], 'not_found', 1],
    [['heal', 'web', 'web-backend-999'], 'not_found', 1],
    [['upgrade', 'web', 'backend', '--version', 'v9'], 'not_found', 1],
    [['migrate', 'web', 'backend', '--zone', 'mars'], 'not_found', 1],
    [['op', 'retry', '00000000-0000-0000-0000-000000000000'], 'not_found', 1],
  ] as const) {
    const r = await vnfctl(...args);
    expect({ args, code: r.code, err: r.err }).toMatchObject({ args, code: exit, err: expect.stringContaining(`error: ${code}:`) });
    const j = await vnfctl('--json', ...args);
    expect(j.code).toBe(exit);
    expect(JSON.parse(j.err).error.err_code).toBe(code);
  }
  expect(await sys.hosts()).toEqual(before);
});
