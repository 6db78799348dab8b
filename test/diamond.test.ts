import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { Access, Agent } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { diagram, fits } from './support/seqcheck.js';
import { System } from './support/system.js';

// identities without TLS: the launcher's --no-tls; every other system in the suite uses TLS
const sys = new System(43, {}, { tls: false });
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

test('diamond dependencies: providers first, every client node gets every provider node', async () => {
  const d = example('diamond');
  const r = await sys.deploy(d);
  expect(r.state).toBe('COMPLETED');

  // the order in which clusters were activated, from the operation's own steps
  const order = r.steps.filter((s) => s.label === 'activate cluster').map((s) => s.cluster);
  const pos = (c: string) => order.indexOf(c);
  expect(order).toHaveLength(4);
  for (const c of d.clusters) for (const p of c.dependsOn ?? []) expect(pos(p)).toBeLessThan(pos(c.name));
  // and no node of a client was created before every node of its providers
  const hostOrder = r.steps.filter((s) => s.label === 'activate virtual host').map((s) => s.cluster!);
  for (const c of d.clusters) for (const p of c.dependsOn ?? []) expect(hostOrder.lastIndexOf(p)).toBeLessThan(hostOrder.indexOf(c.name));

  const v = await sys.vnf('diamond');
  for (const c of d.clusters) {
    expect(v.nodes[c.name]).toHaveLength(c.nodes);
    for (const n of v.nodes[c.name]) {
      const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {});
      expect(s.app.state).toBe('running');
      for (const p of c.dependsOn ?? [])
        expect(s.endpoints[p].map((e) => `${e.node}@${e.address}:${e.port}`).sort()).toEqual(v.nodes[p].map((e) => `${e.node}@${e.address}:${e.port}`).sort());
    }
  }
  expect(fits(diagram('deployment'), await sys.trace(r.id)).ok).toBe(true);
});

test('without TLS the identities still hold: a plain connection with credentials works, anonymous is refused', async () => {
  expect(sys.security!.tls).toBeUndefined();
  expect(readFileSync(sys.security!.configFile, 'utf8')).not.toMatch(/^tls/m);
  const devops = await sys.connectAs(Access.Role.devops);
  try {
    const { vnfs } = (await devops.request('vnf.ao.vnf-list', '{}', { timeout: 5000 })).json<{ vnfs: { name: string }[] }>();
    expect(vnfs.map((v) => v.name)).toEqual(['diamond']);
  } finally {
    await devops.close();
  }
  const anon = await connect({ servers: sys.nats.url, reconnect: false }).then(
    (c) => c.close().then(() => 'connected'),
    (e: Error) => e.message,
  );
  expect(anon).toMatch(/Authorization Violation/i);
});
