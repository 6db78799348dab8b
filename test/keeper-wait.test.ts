import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Installation, natsAuthOptions, RECONNECTING } from '@vnf-lcm/auth';
import { Access } from '@vnf-lcm/contracts';
import { pino } from 'pino';
import { NodeIdentities } from '../apps/vim-adapter/src/identities.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

/**
 * A removal revokes its node's identity through the keeper. Seen in the NATS chaos matrix: after a
 * restart of the server the keeper was not subscribed for about 20 s, every revocation failed
 * `no responders` at once, and a migration rolled back. The VIM now waits for the keeper, and the
 * keeper's dial gives up after 3 s, not nats.js's 20 s, when it meets a socket that never answers.
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

test('the keeper is back within seconds of a server restart whose port first answered nothing (a stuck dial gives up)', async () => {
  // the keeper's connections and the VIM's (reconnecting as the VIM adapter's do) go through what follows
  await vim.close();
  const keeper = await security.startKeeper(nats.url);
  const vim2 = await security.connect(nats.url, 'vim-adapter-2', Access.Role.vimAdapter, RECONNECTING);
  const held: Socket[] = [];
  try {
    const identities = NodeIdentities.fromEnv(vim2, pino({ level: 'silent' }), security.env(Access.Role.vimAdapter));
    const identity = (await identities.mint('kw-2'))!;
    const { hostname, port } = new URL(nats.url);
    // while the server is down, its port accepts and says nothing, as a server being killed or
    // not yet serving does: reconnects (every 250 ms, plus up to 1 s of jitter with TLS) dial
    // into it and hang there until their dial timeout
    await nats.restart('SIGKILL', async () => {
      const silent = createServer((s) => held.push(s)).listen(Number(port), hostname);
      await once(silent, 'listening');
      await new Promise((r) => setTimeout(r, 3_000));
      // no more accepts; what it accepted stays open and silent (close's callback would wait for them)
      silent.close();
    });
    const restarted = Date.now();
    expect(held.length).toBeGreaterThanOrEqual(3); // the keeper's two connections and the VIM's hung there
    // asked directly, again and again: with nats.js's 20 s dial timeout the keeper was away for
    // about 18 s from here (no responders), with ours it answers within a few seconds
    let reply: { revoked?: boolean } | undefined;
    while (!reply && Date.now() - restarted < 10_000) {
      reply = await vim2
        .request(Access.REVOKE_SUBJECT, JSON.stringify({ jwt: identity.jwt }), { timeout: 2_000 })
        .then((m) => m.json<{ revoked?: boolean }>())
        .catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 250)));
    }
    expect(reply).toMatchObject({ revoked: true });
  } finally {
    for (const s of held) s.destroy();
    await vim2.close();
    await keeper.close();
  }
}, 60_000);
