import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/**
 * Node.js's `tls.checkServerIdentity` with one short way through it. nats.js gives Node.js no
 * host name for a server named by its address (an empty servername, no host), so Node.js checks
 * the server's certificate for `localhost`, and to see whether `localhost` is an address it
 * compiles its IPv6 pattern: 3 ms once per process, 11 ms in an agent among ten starting, about
 * a twentieth of an agent's start (docs/adr/0030-agent-code-cache.md). A certificate that names
 * `DNS:localhost` as one plain entry of its alternative names is one Node.js accepts for
 * `localhost`; every other case is Node.js's own check. The chain is verified before, as always.
 */
export function checkServerName(host: string, cert: PeerCertificate): Error | undefined {
  const alt = cert.subjectaltname;
  if (host === 'localhost' && typeof alt === 'string' && !alt.includes('"') && alt.split(', ').includes('DNS:localhost')) return undefined;
  return checkServerIdentity(host, cert);
}
