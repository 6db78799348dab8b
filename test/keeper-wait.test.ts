import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Installation, natsAuthOptions } from '@vnf-lcm/auth';
import { Access } from '@vnf-lcm/contracts';
import { pino } from 'pino';
import { NodeIdentities } from '../apps/vim-adapter/src/identities.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

/**
 * A removal revokes its node's identity through the keeper. Seen in the NATS chaos matrix: after a
 * restart of the server the keeper was not subscribed for a while, every revocation failed
 * `no responders` at once, and a migration rolled back. The VIM now waits for the keeper.
 */
let tmp: string;
let security: Installation;
let nats: NatsServer;
let vim: NatsConnection;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vnf-keeper-wait-'));
  security = await Installation.prepare(join(tmp, 'security'), { tls: true, storeDir: join(tmp, 'nats', 'js'), port: -1, monitorPort: -1 });
  nats = await startNatsServer(join(tmp, 'nats'), { config: security.configFile });
  vim = await security.connect(nats.url, 'vim-adapter', Access.Role.vimAdapter);
});

afterAll(async () => {
  await vim?.close();
  await nats?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('a revocation asked while no keeper is there waits for it, and the node is refused once it is done', async () => {
  const identities = NodeIdentities.fromEnv(vim, pino({ level: 'silent' }), security.env(Access.Role.vimAdapter));
  const identity = (await identities.mint('kw-1'))!;
  const asAgent = () =>
    connect({
      servers: nats.url,
      name: 'kw-1',
      ...natsAuthOptions({ credsText: new TextDecoder().decode(identity.creds), tlsCa: security.env(Access.Role.vimAdapter).NATS_TLS_CA }),
    });
  // the identity works before
  await (await asAgent()).close();

  let revoked = false;
  const revoking = identities.revoke(identity.jwt, 'kw-1').then(() => (revoked = true));
  await new Promise((r) => setTimeout(r, 800));
  expect(revoked).toBe(false); // no keeper: still waiting, not failed
  const keeper = await security.startKeeper(nats.url);
  try {
    await revoking;
    expect(revoked).toBe(true);
    await expect(asAgent()).rejects.toThrow(/authorization|revoked/i);
  } finally {
    await keeper.close();
  }
});
