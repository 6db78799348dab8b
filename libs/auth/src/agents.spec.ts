import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jwt from '@nats-io/jwt';
import { agentOf, AgentMinter } from './agents.js';
import { Identity } from './identity.js';

let dir: string;
let id: Identity;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vnf-auth-spec-'));
  id = await Identity.open(join(dir, 'identity'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('node identities', () => {
  test('the VIM mints with the scoped key; the keeper knows them as the node they are named after', async () => {
    const minted = await AgentMinter.fromFile(id.agentSignerFile()).mint('web-backend-7');
    expect(await agentOf(minted.jwt, id.agentSignerKey, id.accountKey)).toEqual({ node: 'web-backend-7', user: minted.user });
    // no permissions of its own: the signing key's template is what the server applies
    expect(jwt.decode<jwt.User>(minted.jwt).nats.pub).toBeUndefined();
  });

  test('the keeper revokes nothing else: a service user, another signer, a forged signature', async () => {
    const service = /-----BEGIN NATS USER JWT-----\s*(\S+)/.exec(readFileSync(id.credsFile('vnfm'), 'utf8'))![1];
    expect(await agentOf(service, id.agentSignerKey, id.accountKey)).toBeUndefined();
    const stranger = jwt.createAccount();
    const other = await jwt.encodeUser('web-backend-7', jwt.createUser(), stranger, { issuer_account: id.accountKey }, { scopedUser: true });
    expect(await agentOf(other, id.agentSignerKey, id.accountKey)).toBeUndefined();
    const real = (await AgentMinter.fromFile(id.agentSignerFile()).mint('web-backend-8')).jwt.split('.');
    const claims = JSON.parse(Buffer.from(real[1], 'base64url').toString());
    claims.name = 'web-frontend-1';
    const forged = [real[0], Buffer.from(JSON.stringify(claims)).toString('base64url'), real[2]].join('.');
    expect(await agentOf(forged, id.agentSignerKey, id.accountKey)).toBeUndefined();
    expect(await agentOf('not a jwt', id.agentSignerKey, id.accountKey)).toBeUndefined();
  });

  test('keys and credentials are owner-only; opening again keeps the same keys', async () => {
    for (const f of ['operator.nk', 'account.nk', 'agent-signer.nk', 'creds/devops.creds', 'agent-signer.json'])
      expect(statSync(join(dir, 'identity', f)).mode & 0o077).toBe(0);
    const again = await Identity.open(join(dir, 'identity'));
    expect(again.accountKey).toBe(id.accountKey);
    expect(again.agentSignerKey).toBe(id.agentSignerKey);
  });

  test('a revocation is kept, and signed into the account the server preloads', async () => {
    const { user } = await AgentMinter.fromFile(id.agentSignerFile()).mint('web-backend-9');
    id.revoke([user]);
    const account = jwt.decode<jwt.Account>((await id.accountJwts()).account);
    expect(account.nats.revocations?.[user]).toBeGreaterThan(0);
    expect((await Identity.open(join(dir, 'identity'))).revocations()[user]).toBeGreaterThan(0);
  });

  test('a signing-key file that is not one is refused with what is wrong', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"account": 1}');
    expect(() => AgentMinter.fromFile(bad)).toThrow(/lacks account or seed/);
    expect(() => AgentMinter.fromFile(join(dir, 'missing.json'))).toThrow(/ENOENT/);
  });
});
