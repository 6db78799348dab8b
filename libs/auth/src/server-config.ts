import type { Identity } from './identity.js';
import { writeSecret } from './files.js';
import type { TlsFiles } from './tls.js';

export interface ServerConfig {
  /** where to write the configuration (0600: it holds no secret, but says who is revoked) */
  file: string;
  host?: string;
  /** -1 for any free port (tests) */
  port?: number;
  monitorPort?: number;
  storeDir: string;
  /** cert and key of the server; without, clients connect in plain text */
  tls?: TlsFiles;
}

/**
 * nats-server's configuration in operator mode: the operator is trusted, the accounts preloaded
 * (resolver MEMORY: users minted later need no reload), anonymous clients refused. Written anew
 * whenever the account changes (a revocation), so that a restarted server refuses the same users.
 */
export async function writeServerConfig(id: Identity, c: ServerConfig): Promise<void> {
  const accounts = await id.accountJwts();
  const q = JSON.stringify;
  const lines = [
    `listen: ${q(`${c.host ?? '127.0.0.1'}:${c.port ?? 4222}`)}`,
    c.monitorPort !== undefined ? `http: ${q(`${c.host ?? '127.0.0.1'}:${c.monitorPort}`)}` : '',
    `jetstream { store_dir: ${q(c.storeDir)} }`,
    // a service's CONNECT carries its JWT, whose allow lists are longer than the default 4 KB line
    'max_control_line: 65536',
    `operator: ${q(id.operatorJwtFile)}`,
    `system_account: ${id.systemAccount}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${id.systemAccount}: ${q(accounts.system)}`,
    `  ${id.accountKey}: ${q(accounts.account)}`,
    '}',
    c.tls ? `tls { cert_file: ${q(c.tls.cert)}, key_file: ${q(c.tls.key)}, timeout: 10 }` : '',
  ];
  writeSecret(c.file, lines.filter(Boolean).join('\n') + '\n');
}
