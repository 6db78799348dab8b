import { Lifecycle, type Records, Trace } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { diagram, fits } from './support/seqcheck.js';
import { System } from './support/system.js';

/**
 * AO_HOSTS_AHEAD=1 gives the diagrams' literal order (ADR 25): nothing is started ahead of its
 * turn (hosts, applications: ADR 34) or left behind it (a removed node's host: ADR 33), so the
 * trace read by time, without the placements that reorder it, fits each diagram.
 */
const sys = new System(55, { AO_HOSTS_AHEAD: '1' });
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

async function expectLiteral(op: Records.OpRecord, algorithm: string) {
  expect(op.state).toBe('COMPLETED');
  // the arrows in the order they crossed the bus, placements left out: no reordering needed
  const byTime = (await sys.traceEntries(op.id)).filter(Trace.isArrow);
  const fit = fits(diagram(algorithm), Trace.render(byTime));
  if (!fit.ok) console.log(algorithm, fit, Trace.render(byTime));
  expect(fit).toMatchObject({ ok: true });
}

test('deployment, scale-out, healing, scale-in and upgrade run one step after the other', async () => {
  await expectLiteral(await sys.deploy(example('web')), 'deployment');
  const run = async (subject: string, body: object) => sys.waitOp((await sys.req<Lifecycle.Reply>(subject, body)).op);
  await expectLiteral(await run(Lifecycle.Subject.scaleOut, { vnf: 'web', cluster: 'backend', by: 1 }), 'scale-out');
  const [node] = (await sys.vnf('web')).nodes.backend;
  await expectLiteral(await run(Lifecycle.Subject.heal, { vnf: 'web', node: node.node }), 'healing');
  await expectLiteral(await run(Lifecycle.Subject.scaleIn, { vnf: 'web', cluster: 'backend', by: 1 }), 'scale-in');
  await expectLiteral(await run(Lifecycle.Subject.upgrade, { vnf: 'web', cluster: 'backend', version: 'v2' }), 'upgrade');
}, 90_000);
