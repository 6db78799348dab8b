import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { jsReplicas, raiseReplicas } from './replicas.js';

export interface Versioned<T> {
  value: T;
  revision: number;
}

/** A KV key must be a subject-safe token path; ours are names and ids joined by dots. */
const KEY_RE = /^[A-Za-z0-9_=.-]+$/;

/**
 * JSON records in a JetStream KV bucket (file storage). Writes that depend on what was read use
 * compare-and-set on the revision, so two writers never both advance one record.
 */
export class JsonKv<T> {
  /** what this process last read or wrote per key: mutate() tries it first, saving a read */
  private readonly known = new Map<string, Versioned<T>>();

  private constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly bucket: string,
  ) {}

  /** kept by `replicas` servers (VNF_JS_REPLICAS); a bucket made with fewer is raised */
  static async open<T>(nc: NatsConnection, bucket: string, history = 1, replicas = jsReplicas()): Promise<JsonKv<T>> {
    const kv = await new Kvm(nc).create(bucket, { history, storage: 'file' as never, replicas });
    const jsm = await jetstreamManager(nc);
    await raiseReplicas(jsm, `KV_${bucket}`, replicas);
    return new JsonKv<T>(kv, jsm, bucket);
  }

  async get(key: string): Promise<Versioned<T> | undefined> {
    check(key);
    const e = await readAgain(() => this.kv.get(key));
    if (!e || e.operation !== 'PUT' || e.length === 0) {
      this.known.delete(key);
      return undefined;
    }
    const v = { value: e.json<T>(), revision: e.revision };
    // a read that was overtaken by this process's own write must not put the older value back
    if ((this.known.get(key)?.revision ?? 0) <= v.revision) this.known.set(key, v);
    return v;
  }

  /**
   * What this process last read or wrote under `key`, if anything: no round trip, maybe stale.
   * It is the cache's own copy, to read only: mutate() compares against it.
   */
  cached(key: string): Readonly<Versioned<T>> | undefined {
    return this.known.get(key);
  }

  /** Fails with a wrong-last-sequence error when the key already holds a value. */
  create(key: string, value: T): Promise<number> {
    check(key);
    return this.kv.create(key, JSON.stringify(value));
  }

  /** Fails when the record changed since `revision` was read. */
  update(key: string, value: T, revision: number): Promise<number> {
    check(key);
    return this.kv.update(key, JSON.stringify(value), revision);
  }

  async put(key: string, value: T): Promise<number> {
    check(key);
    const revision = await this.kv.put(key, JSON.stringify(value));
    this.known.set(key, { value, revision });
    return revision;
  }

  async delete(key: string): Promise<void> {
    check(key);
    this.known.delete(key);
    await this.kv.delete(key);
  }

  /**
   * The keys, from the stream's subject counts: one request. (kv.keys() runs an ordered
   * consumer, which on this server sometimes stalled for 30 s while the bucket was being written.)
   * Deleted keys may still be listed; get() and values() skip them.
   */
  async keys(filter = '>'): Promise<string[]> {
    const prefix = `$KV.${this.bucket}.`;
    const info = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}${filter}` });
    return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
  }

  async values(filter = '>'): Promise<T[]> {
    const out: T[] = [];
    for (const k of await this.keys(filter)) {
      const v = await this.get(k);
      if (v) out.push(v.value);
    }
    return out;
  }

  /**
   * mutate() that does not wait for the server's answer when this process knows the record's
   * revision. The write is on the connection when this resolves, and the server stores (or
   * refuses) one connection's messages before it routes the next, so a request or reply sent
   * after it reaches its receiver once the record has changed. `stored` settles with the
   * server's answer; it rejects when another writer came first (the value was computed from a
   * stale record) or NATS failed. Until it settles, the caller must not write the key again.
   * Without a known revision, it reads and writes as mutate() does.
   */
  async mutateAhead(key: string, change: (current: T | undefined) => T | undefined): Promise<{ value: T | undefined; stored: Promise<void> }> {
    const cur = this.known.get(key);
    const next = cur && change(structuredClone(cur.value));
    if (!cur || next === undefined) return { value: await this.mutate(key, change), stored: Promise.resolve() };
    const stored = this.update(key, next, cur.revision).then(
      (revision) => void this.known.set(key, { value: next, revision }),
      (err: unknown) => {
        this.known.delete(key);
        throw err;
      },
    );
    // the revision is unknown until the answer: nothing may compare against the old one meanwhile
    this.known.delete(key);
    stored.catch(() => undefined);
    return { value: next, stored };
  }

  /**
   * Read, change, write with compare-and-set, again on a lost race. `change` returns the new
   * value, or undefined to leave the record as it is. Also again, on a fresh read, when a write got
   * no answer (a bucket without a leader for a moment, on a cluster): that write may have been
   * stored, so `change` must give the same record when applied to its own result, as every
   * caller's does (a step is sent again after a crash, and makes its change once).
   */
  async mutate(key: string, change: (current: T | undefined) => T | undefined, attempts = 20): Promise<T | undefined> {
    for (let i = 0; i < attempts; i++) {
      // first with what this process knows (one round trip when nobody else wrote), then fresh
      const cached = i === 0 && this.known.has(key);
      const cur = cached ? this.known.get(key) : await this.get(key);
      const next = change(cur ? structuredClone(cur.value) : undefined);
      if (next === undefined) {
        if (cached) continue; // "nothing to change" on what may be stale: decide again on a fresh read
        return cur?.value;
      }
      try {
        const revision = cur ? await this.update(key, next, cur.revision) : await this.create(key, next);
        this.known.set(key, { value: next, revision });
        return next;
      } catch (err) {
        this.known.delete(key);
        if (isNoAnswer(err)) await new Promise((r) => setTimeout(r, READ_BACKOFF_MS / 4));
        else if (!isCasConflict(err)) throw err;
      }
    }
    throw new Error(`kv: gave up on ${key} after ${attempts} conflicting or unanswered writes`);
  }
}

/** how often a read that got no answer is asked again, and how long it waits at most between */
const READ_ATTEMPTS = 5;
const READ_BACKOFF_MS = 1_000;

/**
 * A read is asked again when it got no answer: on a cluster a bucket whose leader was on a
 * server just killed answers nothing until its followers elect another (seconds), and its
 * readers, a step's cancel check among them, would fail the operation for it. Only reads: a write
 * that got no answer may have been stored (compare-and-set tells, the next write finds out).
 */
async function readAgain<R>(read: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= READ_ATTEMPTS || !isNoAnswer(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(READ_BACKOFF_MS, 100 * 2 ** attempt)));
    }
  }
}

/**
 * A request to JetStream that nobody answered (yet): a timeout, or no responders (503), which
 * nats.js reports as "jetstream is not enabled" while a cluster elects a leader.
 */
export function isNoAnswer(err: unknown): boolean {
  const m = (err as Error)?.message ?? '';
  return /timeout|no responders|503|jetstream is not enabled/i.test(m) || (err as { code?: string | number })?.code === 503;
}

/** A write refused because the record changed since it was read (JetStream's own says 10071). */
export class CasConflict extends Error {
  override name = 'CasConflict';
  readonly code = 10071;
  constructor(key: string) {
    super(`wrong last sequence: ${key} changed since it was read`);
  }
}

export function isCasConflict(err: unknown): boolean {
  const m = (err as Error)?.message ?? '';
  return /wrong last sequence|key exists|10071/i.test(m) || (err as { code?: number })?.code === 10071;
}

function check(key: string): void {
  if (!KEY_RE.test(key)) throw new Error(`kv: bad key ${key}`);
}
