import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '../../../test/support/nats-server.js';
import { CORE_PROBES, ServicesNotReadyError, waitForServices, type Probe } from './ready.js';

// a real nats-server: "no responders", request timeouts and a closed connection are the
// client's and the server's own behaviour, which a stand-in would only imitate
let server: NatsServer;
let nc: NatsConnection;
const subs: Subscription[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, name: 'ready-spec' });
});
afterEach(() => {
  for (const s of subs.splice(0)) s.unsubscribe();
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** A stand-in service on its own connection: answers `reply` on `subject`. */
async function answer(subject: string, reply: unknown): Promise<NatsConnection> {
  const svc = await connect({ servers: server.url, name: `svc-${subject}` });
  svc.subscribe(subject, { callback: (_e, m) => void m.respond(JSON.stringify(reply)) });
  await svc.flush();
  return svc;
}

describe('waitForServices', () => {
  test('waits for services that come up late; an error reply is an answer', async () => {
    const seen: unknown[] = [];
    subs.push(nc.subscribe(CORE_PROBES[0].subject, { callback: (_e, m) => void seen.push(m.json()) }));
    const waiting = waitForServices(nc, CORE_PROBES, { timeoutMs: 60_000 });
    let settled = false;
    void waiting.finally(() => (settled = true));
    // nobody answers yet: the first tries meet "no responders" and go on trying
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    const services = [
      await answer(CORE_PROBES[0].subject, { vnfs: [] }),
      await answer(CORE_PROBES[1].subject, { error: { code: 404, err_code: 'not_found', description: 'no vnf probe' } }),
    ];
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    services.push(await answer(CORE_PROBES[2].subject, { hosts: [] }));
    await expect(waiting).resolves.toBeUndefined();
    // the probe is the harmless read it says it is
    expect(seen).toContainEqual({ limit: 1 });
    for (const s of services) await s.close();
  });

  test('at the deadline the error names every service that never answered, and only those', async () => {
    const probes: Probe[] = [
      { service: 'up', subject: 'ready.spec.up', body: {} },
      { service: 'down', subject: 'ready.spec.down', body: {} },
      { service: 'mute', subject: 'ready.spec.mute', body: {} },
    ];
    const up = await answer('ready.spec.up', { ok: true });
    // subscribed but never replying: the probe times out rather than meeting "no responders"
    subs.push(nc.subscribe('ready.spec.mute', { callback: () => {} }));
    const err = await waitForServices(nc, probes, { timeoutMs: 1500, requestTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServicesNotReadyError);
    const e = err as ServicesNotReadyError;
    expect(e.services).toEqual(['down', 'mute']);
    expect(e.message).toMatch(/^no answer in 1500 ms from down \(ready\.spec\.down: .*no responders.*\), mute \(ready\.spec\.mute: .*TIMEOUT.*\)$/i);
    expect(e.message).not.toMatch(/\bup\b/);
    await up.close();
  });

  test('a closed connection fails at once with the client error, not at the deadline', async () => {
    const own = await connect({ servers: server.url, name: 'ready-spec-closed' });
    await own.close();
    // were it to wait for the deadline, the test would outlast jest's own timeout
    const err = await waitForServices(own, CORE_PROBES, { timeoutMs: 600_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ServicesNotReadyError);
    expect((err as Error).message).toMatch(/closed/i);
  });
});
