import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { checkServerName } from './server-name.js';

const cert = (subjectaltname: string | undefined, CN = 'nats') => ({ subject: { CN }, subjectaltname }) as unknown as PeerCertificate;

// every case: the short way must say what Node.js says
test.each([
  ['localhost', 'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, DNS:nats'],
  ['localhost', 'DNS:localhost'],
  ['localhost', 'DNS:nats'],
  ['localhost', 'IP Address:127.0.0.1'],
  ['localhost', 'DNS:localhost.example'],
  ['localhost', 'DNS:*.localhost'],
  ['localhost', 'DNS:"localhost, DNS:x"'],
  ['localhost', undefined],
  ['nats', 'DNS:localhost, DNS:nats'],
  ['127.0.0.1', 'DNS:localhost'],
  ['127.0.0.1', 'IP Address:127.0.0.1'],
  ['other', 'DNS:localhost'],
])('%s against %s: as Node.js decides', (host, alt) => {
  const ours = checkServerName(host, cert(alt));
  const node = checkServerIdentity(host, cert(alt));
  expect(ours === undefined).toBe(node === undefined);
  if (node) expect(ours?.message).toBe(node.message);
});

test("a certificate that does not name localhost is refused for it, with Node.js's reason", () => {
  expect(checkServerName('localhost', cert('DNS:nats, IP Address:127.0.0.1'))?.message).toMatch(/localhost/);
});
