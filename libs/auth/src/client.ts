import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Authenticator, ConnectionOptions, TlsOptions } from '@nats-io/transport-node';
import { encode } from '@nats-io/nkeys';
// the roles' module alone: an agent connects with this file and must not load every contract
import { inboxPrefix } from '@vnf-lcm/contracts/access/roles';
import { readCredsInput } from './creds-input.js';
import { NativeKeyPair } from './native-keys.js';
import { checkServerName } from './server-name.js';

export { readCredsInput } from './creds-input.js';

/** How a client proves who it is and checks whom it talks to; both optional (an open server). */
export interface ClientAuth {
  /** a NATS credentials file (user JWT and seed), as `nsc` and the launcher write them; `-` for stdin */
  creds?: string;
  /** the credentials file's text itself, handed over in memory (a spare agent's assignment); before `creds` */
  credsText?: string;
  /** the CA that signed the server's certificate: with it the client requires TLS and verifies */
  tlsCa?: string;
  /** that CA's secure context made ahead (caContext), used instead of reading tlsCa at connect */
  secureContext?: SecureContext;
}

/** one attempt to connect (TCP, TLS, CONNECT and its PONG); far above what one takes, even across machines */
export const DIAL_TIMEOUT_MS = 3_000;

/**
 * How every long-lived client of ours (services, agents, the keeper, the launcher) connects: it
 * waits for a server that is not up yet and reconnects forever, every 250 ms. Each attempt gives
 * up after DIAL_TIMEOUT_MS and the next one starts: nats.js waits 20 s by default, and a dial
 * that met a server being killed or restarted (a socket that never says INFO, or is gone before
 * the PONG) waited that out. It kept the keeper away for 20 s after a restart in the NATS chaos
 * matrix, and every revocation meanwhile found no one (test/keeper-wait.test.ts).
 */
export const RECONNECTING = { waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: DIAL_TIMEOUT_MS } as const;

/** A credentials or CA file a client cannot use; the message names the file and the variable. */
export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

/** NATS_CREDS and NATS_TLS_CA, the variables every service, agent and vnfctl read. */
export function authFromEnv(env: NodeJS.ProcessEnv = process.env): ClientAuth {
  return { creds: env.NATS_CREDS || undefined, tlsCa: env.NATS_TLS_CA || undefined };
}

/**
 * Connection options for an identity: its authenticator, TLS verified against the CA, and the
 * inbox prefix its role may subscribe to (replies to internal roles never pass `_INBOX.>`, which
 * DevOps clients may read). The file is read once: a service keeps its identity for its life.
 */
export function natsAuthOptions(a: ClientAuth): Partial<ConnectionOptions> {
  const o: Partial<ConnectionOptions> = {};
  const text =
    a.credsText !== undefined
      ? new TextEncoder().encode(a.credsText)
      : a.creds
        ? readOnce(a.creds, 'credentials file (NATS_CREDS / --creds)', readCredsInput)
        : undefined;
  if (text) {
    // the JWT's role first: its errors name what is wrong with the file
    const prefix = inboxPrefix(roleOf(new TextDecoder().decode(text)));
    o.authenticator = credsAuth(text);
    if (prefix) o.inboxPrefix = prefix;
  }
  if (a.secureContext) {
    // passed on to tls.connect as it is; verified against the context's CA as with caFile
    o.tls = { secureContext: a.secureContext, checkServerIdentity: checkServerName } as TlsOptions;
  } else if (a.tlsCa) {
    readOnce(a.tlsCa, 'CA file (NATS_TLS_CA / --tls-ca)');
    o.tls = { caFile: a.tlsCa, checkServerIdentity: checkServerName } as TlsOptions;
  }
  return o;
}

/** a credentials file's two armored blocks (user JWT, then seed), as nats.js reads them */
const ARMORED = /\s*(?:(?:[-]{3,}[^\n]*[-]{3,}\n)(.+)(?:\n\s*[-]{3,}[^\n]*[-]{3,}\n))/gi;

/**
 * nats.js's credsAuthenticator, signing the server's nonce with Node's own ed25519 (OpenSSL)
 * instead of nkeys' JavaScript: its first signature in a process runs interpreted, about 25 ms at
 * every start of every client (an agent's above all), then about 6 ms each; this one ~0.1 ms.
 * Same key, same signature (ed25519 is deterministic), same reply.
 */
export function credsAuth(creds: Uint8Array): Authenticator {
  const text = new TextDecoder().decode(creds);
  const re = new RegExp(ARMORED);
  const jwt = re.exec(text)?.[1].trim();
  const seed = re.exec(text)?.[1].trim();
  if (!jwt || !seed) throw new AuthConfigError('credentials file holds no user JWT and seed');
  let kp: NativeKeyPair;
  try {
    kp = NativeKeyPair.fromSeed(new TextEncoder().encode(seed));
  } catch (err) {
    throw new AuthConfigError(`credentials file holds a malformed seed: ${(err as Error).message}`);
  }
  const nkey = kp.getPublicKey();
  return (nonce?: string) => ({ jwt, nkey, sig: nonce ? encode(kp.sign(new TextEncoder().encode(nonce))) : '' });
}

/**
 * The CA's secure context, made once: OpenSSL parsing the CA costs a Node.js client about 8 ms at
 * its first connect, which a spare agent pays before it knows its node (ADR 27).
 */
export function caContext(path: string): SecureContext {
  return caContextOf(readOnce(path, 'CA file (NATS_TLS_CA / --tls-ca)'));
}

/** the same from the CA's text (PEM) itself; a text that holds no certificate is refused */
export function caContextOf(pem: string | Uint8Array): SecureContext {
  const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem);
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new AuthConfigError('CA holds no PEM certificate');
  return createSecureContext({ ca: Buffer.from(text) });
}

/** `fromInput` reads `-`, standard input: to its end unless told otherwise */
function readOnce(path: string, what: string, fromInput = (fd: number): Uint8Array => readFileSync(fd)): Uint8Array {
  try {
    // `-`: from standard input, as the VIM hands an agent its identity (fd 0, not /dev/stdin,
    // which another user cannot open again when the pipe is root's)
    return path === '-' ? fromInput(0) : readFileSync(path);
  } catch (err) {
    throw new AuthConfigError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The role tag (`role:<name>`) of the user JWT in a credentials file, if it has one. */
export function roleOf(creds: string): string | undefined {
  const m = /-----BEGIN NATS USER JWT-----\s*([A-Za-z0-9_.-]+)\s*-+END NATS USER JWT/.exec(creds);
  if (!m) throw new AuthConfigError('credentials file holds no user JWT');
  try {
    const payload = JSON.parse(Buffer.from(m[1].split('.')[1], 'base64url').toString('utf8'));
    const tag = (payload?.nats?.tags as string[] | undefined)?.find((t) => t.startsWith('role:'));
    return tag?.slice(5);
  } catch {
    throw new AuthConfigError('credentials file holds a malformed user JWT');
  }
}
