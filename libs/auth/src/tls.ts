import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the server's certificate and its CA are; `ca` is all a client needs to verify the server. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/**
 * A CA of this installation and a server certificate it signs, for 127.0.0.1, localhost and `nats`
 * (the compose service name), made once with openssl in `dir`. The CA's key stays in `dir` (0600):
 * whoever holds it could impersonate the server.
 */
export function ensureTls(dir: string, names: string[] = []): TlsFiles {
  const f: TlsFiles & { caKey: string } = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
  };
  if ([f.ca, f.caKey, f.cert, f.key].every((p) => existsSync(p))) return { ca: f.ca, cert: f.cert, key: f.key };
  // searchable by all: agents, running as an unprivileged user, read the CA certificate (the keys are 0600)
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const ssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install openssl (or run without TLS)');
      throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f.caKey,
    '-out',
    f.ca,
    '-days',
    '3650',
    '-subj',
    '/CN=vnf-lcm CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  ssl('req', ...ec, '-keyout', f.key, '-out', csr, '-subj', '/CN=nats');
  const alt = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', 'DNS:nats', ...names.map((n) => (/^[\d.:]+$/.test(n) ? `IP:${n}` : `DNS:${n}`))];
  writeFileSync(ext, `subjectAltName=${alt.join(',')}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  ssl('x509', '-req', '-in', csr, '-CA', f.ca, '-CAkey', f.caKey, '-CAcreateserial', '-out', f.cert, '-days', '825', '-extfile', ext);
  for (const key of [f.caKey, f.key]) chmodSync(key, 0o600);
  chmodSync(f.ca, 0o644);
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
  return { ca: f.ca, cert: f.cert, key: f.key };
}
