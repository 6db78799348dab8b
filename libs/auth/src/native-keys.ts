import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { Prefix, type KeyPair } from '@nats-io/nkeys';
// the encoding of keys and seeds (base32, prefix byte, crc16): nkeys' own, not re-written here
import { Codec } from '@nats-io/nkeys/lib/codec.js';

/** DER prefixes of an ed25519 key in PKCS#8 and SPKI: the raw 32 bytes follow them */
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/** Whether `sig` is `publicKey`'s (an encoded nkey, `A...`, `U...`) signature of `input`. */
export function verifyWith(publicKey: string, input: Uint8Array, sig: Uint8Array): boolean {
  try {
    const raw = Codec._decode(new TextEncoder().encode(publicKey));
    const key = createPublicKey({ key: Buffer.concat([SPKI, raw.subarray(1, 33)]), format: 'der', type: 'spki' });
    return verify(null, input, key, sig);
  } catch {
    return false;
  }
}

/**
 * nkeys' KeyPair on Node's own ed25519 (OpenSSL). nkeys signs with tweetnacl, in JavaScript: 50
 * to 300 ms per key and signature on this machine, and the VIM mints an identity for every node
 * it starts. Same keys, same encoding, same signatures (ed25519 is deterministic); ~0.1 ms.
 */
export class NativeKeyPair implements KeyPair {
  private constructor(
    private readonly prefix: Prefix,
    private seed: Uint8Array,
    private readonly key: KeyObject,
  ) {}

  static create(prefix: Prefix): NativeKeyPair {
    const { privateKey } = generateKeyPairSync('ed25519');
    const raw = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8.length);
    return new NativeKeyPair(prefix, new Uint8Array(raw), privateKey);
  }

  /** from an encoded seed (`SU...`, `SA...`) */
  static fromSeed(encoded: Uint8Array): NativeKeyPair {
    const { buf, prefix } = Codec.decodeSeed(encoded);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8, buf]), format: 'der', type: 'pkcs8' });
    return new NativeKeyPair(prefix, new Uint8Array(buf), key);
  }

  getPublicKey(): string {
    return new TextDecoder().decode(Codec.encode(this.prefix, this.rawPublic()));
  }

  /** as nkeys has it: the seed and the public key, encoded as a private key */
  getPrivateKey(): Uint8Array {
    return Codec.encode(Prefix.Private, new Uint8Array([...this.seed, ...this.rawPublic()]));
  }

  private rawPublic(): Uint8Array {
    const spki = createPublicKey(this.key).export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(spki.length - 32));
  }

  getSeed(): Uint8Array {
    return Codec.encodeSeed(this.prefix, this.seed);
  }

  sign(input: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, input, this.key));
  }

  verify(input: Uint8Array, sig: Uint8Array): boolean {
    return verify(null, input, createPublicKey(this.key), sig);
  }

  clear(): void {
    this.seed = new Uint8Array(0);
  }

  /** curve keys only: an ed25519 signing key neither seals nor opens */
  seal(): Uint8Array {
    throw new Error('not a curve key');
  }

  open(): Uint8Array | null {
    throw new Error('not a curve key');
  }
}
