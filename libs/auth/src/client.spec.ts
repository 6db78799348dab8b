import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthConfigError, caContext, caContextOf } from './client.js';
import { ensureTls } from './tls.js';

describe('the CA a client verifies the server with', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnf-ca-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('from its text (a container agent, ADR 36) as from its file', () => {
    const { ca } = ensureTls(join(dir, 'tls'));
    expect(caContext(ca).context).toBeDefined();
    expect(caContextOf(readFileSync(ca, 'utf8')).context).toBeDefined();
    expect(caContextOf(readFileSync(ca)).context).toBeDefined();
  });

  test('a text that holds no certificate is refused, with a short reason', () => {
    expect(() => caContextOf('ca.pem')).toThrow(AuthConfigError);
    expect(() => caContextOf('ca.pem')).toThrow('CA holds no PEM certificate');
  });

  test('a file that cannot be read names the file and the variable', () => {
    expect(() => caContext(join(dir, 'missing.pem'))).toThrow(/cannot read CA file \(NATS_TLS_CA \/ --tls-ca\) .*missing\.pem: ENOENT/);
  });
});
