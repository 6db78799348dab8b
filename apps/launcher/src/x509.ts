import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The TLS files `ensureTls` (libs/auth) makes with openssl, made with node:crypto alone: the same
 * names in the same folder (ca.pem, ca.key, server.pem, server.key), an ECDSA P-256 CA and a server
 * certificate for 127.0.0.1, ::1, localhost and `nats`. For images that have Node.js and nothing
 * else (no openssl, no shell): the compose set-up runs in one. `ensureTls` then finds the four files
 * and keeps them. Nothing here is a general X.509 library: two fixed certificate shapes, DER by hand.
 */
export function ensureTlsWithNode(dir: string, names: string[] = []): { ca: string; cert: string; key: string } {
  const f = { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
  if ([f.ca, f.caKey, f.cert, f.key].every((p) => existsSync(p))) return { ca: f.ca, cert: f.cert, key: f.key };
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const now = Date.now();
  // a little in the past: clocks of the containers and the clients may differ by a few seconds
  const from = new Date(now - 60 * 60_000);

  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = name('vnf-lcm CA');
  const caSpki = ca.publicKey.export({ type: 'spki', format: 'der' });
  const caKeyId = keyId(caSpki);
  const caCert = certificate({
    issuer: caName,
    subject: caName,
    spki: caSpki,
    from,
    until: new Date(now + 3650 * 86_400_000),
    signer: ca.privateKey,
    extensions: [
      ext('2.5.29.19', true, seq(bool(true))), // basicConstraints CA:TRUE
      ext('2.5.29.15', true, bits(1, 0x06)), // keyUsage keyCertSign, cRLSign
      ext('2.5.29.14', false, octet(caKeyId)), // subjectKeyIdentifier
    ],
  });

  const server = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = server.publicKey.export({ type: 'spki', format: 'der' });
  const alt = ['127.0.0.1', '::1', 'localhost', 'nats', ...names].map((n) => (isIp(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii'))));
  const serverCert = certificate({
    issuer: caName,
    subject: name('nats'),
    spki,
    from,
    until: new Date(now + 825 * 86_400_000),
    signer: ca.privateKey,
    extensions: [
      ext('2.5.29.19', false, seq()), // basicConstraints CA:FALSE
      ext('2.5.29.15', true, bits(7, 0x80)), // keyUsage digitalSignature
      ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extendedKeyUsage serverAuth
      ext('2.5.29.17', false, seq(...alt)), // subjectAltName
      ext('2.5.29.14', false, octet(keyId(spki))),
      ext('2.5.29.35', false, seq(tlv(0x80, caKeyId))), // authorityKeyIdentifier
    ],
  });

  // keys first, owner-only; the certificates are public
  writeFileSync(f.caKey, pkcs8(ca.privateKey), { mode: 0o600 });
  writeFileSync(f.key, pkcs8(server.privateKey), { mode: 0o600 });
  for (const k of [f.caKey, f.key]) chmodSync(k, 0o600);
  writeFileSync(f.ca, pem('CERTIFICATE', caCert), { mode: 0o644 });
  writeFileSync(f.cert, pem('CERTIFICATE', serverCert), { mode: 0o644 });
  chmodSync(f.ca, 0o644);
  chmodSync(f.cert, 0o644);
  return { ca: f.ca, cert: f.cert, key: f.key };
}

interface CertSpec {
  issuer: Buffer;
  subject: Buffer;
  spki: Buffer;
  from: Date;
  until: Date;
  signer: KeyObject;
  extensions: Buffer[];
}

const ECDSA_SHA256 = () => seq(oid('1.2.840.10045.4.3.2'));

function certificate(c: CertSpec): Buffer {
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial()),
    ECDSA_SHA256(),
    c.issuer,
    seq(time(c.from), time(c.until)),
    c.subject,
    c.spki,
    tlv(0xa3, seq(...c.extensions)),
  );
  // node signs an EC key's digest as a DER ECDSA-Sig-Value, which is what X.509 carries
  return seq(tbs, ECDSA_SHA256(), bitString(sign('sha256', tbs, c.signer)));
}

/** 16 random bytes, positive */
function serial(): Buffer {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b;
}

const keyId = (spki: Buffer) => createHash('sha1').update(spki).digest();
const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string;
const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

// DER, the few types a certificate needs
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  let len: Buffer;
  if (body.length < 0x80) len = Buffer.from([body.length]);
  else {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const octet = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const bitString = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
/** a BIT STRING of one byte whose last `unused` bits do not count (keyUsage) */
const bits = (unused: number, byte: number) => tlv(0x03, Buffer.from([unused, byte]));
const ext = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octet(value));
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5) */
function time(d: Date): Buffer {
  const s = `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(s.slice(2), 'ascii')) : tlv(0x18, Buffer.from(s, 'ascii'));
}

const isIp = (n: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(n) || n.includes(':');

function ipBytes(ip: string): Buffer {
  if (!ip.includes(':')) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand '::' into the zero groups it stands for
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  return out;
}
