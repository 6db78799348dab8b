import { credsAuthenticator } from '@nats-io/transport-node';
import { createAccount, createUser, fromPublic, fromSeed, Prefix } from '@nats-io/nkeys';
import { fmtCreds } from '@nats-io/jwt';
import { credsAuth } from './client.js';
import { NativeKeyPair, verifyWith } from './native-keys.js';

describe("NativeKeyPair: nkeys' keys on Node's ed25519", () => {
  test('the same seed gives the same public key, seed and private key as nkeys', () => {
    for (const theirs of [createUser(), createAccount()]) {
      const ours = NativeKeyPair.fromSeed(theirs.getSeed());
      expect(ours.getPublicKey()).toBe(theirs.getPublicKey());
      expect(new TextDecoder().decode(ours.getSeed())).toBe(new TextDecoder().decode(theirs.getSeed()));
      expect(new TextDecoder().decode(ours.getPrivateKey())).toBe(new TextDecoder().decode(theirs.getPrivateKey()));
    }
  });

  test("signatures are identical to nkeys' and verify both ways", () => {
    const ours = NativeKeyPair.create(Prefix.Account);
    const theirs = fromSeed(ours.getSeed());
    const data = new TextEncoder().encode('header.payload');
    const sig = ours.sign(data);
    expect(Buffer.from(sig).equals(Buffer.from(theirs.sign(data)))).toBe(true);
    expect(fromPublic(ours.getPublicKey()).verify(data, sig)).toBe(true);
    expect(verifyWith(ours.getPublicKey(), data, sig)).toBe(true);
    expect(verifyWith(ours.getPublicKey(), new TextEncoder().encode('header.other'), sig)).toBe(false);
    expect(verifyWith('not a key', data, sig)).toBe(false);
  });

  test('a new key is a user key when asked for one', () => {
    expect(NativeKeyPair.create(Prefix.User).getPublicKey()).toMatch(/^U[A-Z2-7]{55}$/);
  });
});

test("credsAuth answers a server's nonce exactly as nats.js's credsAuthenticator does", async () => {
  const user = createUser();
  const creds = fmtCreds('eyJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2ln', user);
  for (const nonce of ['8OKqUtoF5pAnDMA', undefined]) expect(credsAuth(creds)(nonce)).toEqual(credsAuthenticator(creds)(nonce));
  expect(() => credsAuth(new TextEncoder().encode('no armor here'))).toThrow(/no user JWT and seed/);
  const badSeed = new TextDecoder().decode(creds).replace(/SU[A-Z2-7]+/, 'SUNOTASEED');
  expect(() => credsAuth(new TextEncoder().encode(badSeed))).toThrow(/malformed seed/);
});
