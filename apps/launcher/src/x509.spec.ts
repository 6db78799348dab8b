import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTlsWithNode } from './x509.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x509-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a CA and a server certificate for 127.0.0.1, ::1, localhost and nats, signed by it', () => {
  const f = ensureTlsWithNode(join(dir, 'tls'));
  const ca = new X509Certificate(readFileSync(f.ca));
  const server = new X509Certificate(readFileSync(f.cert));
  expect(ca.ca).toBe(true);
  expect(ca.verify(ca.publicKey)).toBe(true);
  expect(server.ca).toBe(false);
  expect(server.verify(ca.publicKey)).toBe(true);
  expect(server.checkIssued(ca)).toBe(true);
  expect(server.checkHost('nats')).toBe('nats');
  expect(server.checkHost('localhost')).toBe('localhost');
  expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(server.checkIP('::1')).toBe('::1');
  expect(server.checkHost('example.com')).toBeUndefined();
  expect(server.subjectAltName?.split(', ').sort()).toEqual(['DNS:localhost', 'DNS:nats', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:127.0.0.1']);
  expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  // the key files hold the keys of the certificates, owner-only
  expect(createPublicKey(createPrivateKey(readFileSync(f.key))).export({ type: 'spki', format: 'der' })).toEqual(
    server.publicKey.export({ type: 'spki', format: 'der' }),
  );
  expect(statSync(f.key).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
  expect(statSync(f.ca).mode & 0o777).toBe(0o644);
  expect(new Date(server.validFrom).getTime()).toBeLessThan(Date.now());
});

test('openssl agrees: the chain verifies for the server purpose', () => {
  const f = ensureTlsWithNode(join(dir, 'tls'));
  let out: string;
  try {
    out = execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', f.ca, f.cert], { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no openssl here: node's checks above stand
    throw err;
  }
  expect(out.trim()).toBe(`${f.cert}: OK`);
});

test('files that exist are kept', () => {
  const first = readFileSync(join(dir, 'tls', 'server.pem'), 'utf8');
  ensureTlsWithNode(join(dir, 'tls'));
  expect(readFileSync(join(dir, 'tls', 'server.pem'), 'utf8')).toBe(first);
});
