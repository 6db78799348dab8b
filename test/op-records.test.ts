import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JsonKv } from '@vnf-lcm/bus';
import { Access, Records } from '@vnf-lcm/contracts';
import { LostOwnership, OpHandle, type OpRecords } from '../apps/orchestrator/src/records/op-handle.js';
import { OpStore } from '../apps/orchestrator/src/records/op-store.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

// The orchestrator's operation records on a real nats-server: OpStore (the record, its steps in
// pages) and OpHandle (its one writer), with no service around them.

let nats: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const PAGE = 1024;
let n = 0;
const newOp = (): Records.OpRecord => ({
  id: `0000000${++n}-test-op`,
  vnf: 'web',
  algorithm: Records.Algorithm.scaleOut,
  params: {},
  requestedBy: 'DevOps',
  state: Records.OpState.processing,
  steps: [],
  startedAt: new Date().toISOString(),
});
const step = (i: number): Records.StepRecord => ({ key: `${i}/host`, label: 'activate virtual host'.padEnd(100, '.'), at: new Date().toISOString() });
const withSteps = (r: Records.OpRecord, from: number, count: number): Records.OpRecord => ({
  ...r,
  steps: [...r.steps, ...Array.from({ length: count }, (_, i) => step(from + i))],
});

/** A timeout, as nats.js reports a request nobody answered. */
const noAnswer = () => Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' });

/**
 * The store with NATS's failures where a test puts them: what is written or read is written and
 * read for real, only an answer goes missing (before the write is stored, or after).
 */
class Flaky implements OpRecords {
  /** the next writes are stored, their answer lost on the way back */
  answersLost = 0;
  /** the next writes are lost on the way there: never stored */
  requestsLost = 0;
  /** the next reads get no answer */
  readsUnanswered = 0;
  /** runs once a write is stored, before its answer is lost */
  afterStored?: () => Promise<void>;

  constructor(readonly store: OpStore) {}

  async get(id: string) {
    if (this.readsUnanswered > 0) {
      this.readsUnanswered--;
      throw noAnswer();
    }
    return this.store.get(id);
  }

  async update(id: string, r: Records.OpRecord, revision: number) {
    if (this.requestsLost > 0) {
      this.requestsLost--;
      throw noAnswer();
    }
    const next = await this.store.update(id, r, revision);
    if (this.answersLost > 0) {
      this.answersLost--;
      await this.afterStored?.();
      throw noAnswer();
    }
    return next;
  }
}

async function handle(): Promise<{ h: OpHandle; flaky: Flaky; store: OpStore; revision: number }> {
  const store = await OpStore.open(nc, PAGE);
  const r = newOp();
  const revision = await store.create(r.id, r);
  const flaky = new Flaky(store);
  return { h: new OpHandle(flaky, r, revision), flaky, store, revision };
}

describe('OpHandle: a write whose answer got lost', () => {
  test('was stored, and NATS still gives no answer to the read after: the handle finds it stored once NATS answers, and goes on', async () => {
    const { h, flaky, store, revision } = await handle();
    flaky.answersLost = 1;
    flaky.readsUnanswered = 1;
    const written = await h.write((r) => withSteps(r, 1, 1));
    expect(h.lost).toBe(false);
    const stored = (await store.get(h.id))!;
    expect(stored).toEqual({ value: written, revision: revision + 1 });
    // the handle holds the stored revision: its next write is a plain compare-and-set on it
    await h.write((r) => withSteps(r, 2, 1));
    expect((await store.get(h.id))!.value.steps.map((s) => s.key)).toEqual(['1/host', '2/host']);
  });

  test('was never stored: it is written again, once', async () => {
    const { h, flaky, store, revision } = await handle();
    flaky.requestsLost = 2;
    const written = await h.write((r) => withSteps(r, 1, 1));
    expect(await store.get(h.id)).toEqual({ value: written, revision: revision + 1 });
  });

  test('was stored, then another orchestrator advanced the record: the operation is lost to it, nothing overwritten', async () => {
    const { h, flaky, store } = await handle();
    const other = await OpStore.open(nc, PAGE);
    let theirs: Records.OpRecord | undefined;
    flaky.answersLost = 1;
    flaky.afterStored = async () => {
      const cur = (await other.get(h.id))!;
      theirs = { ...cur.value, owner: 'orchestrator-2' };
      await other.update(h.id, theirs, cur.revision);
    };
    await expect(h.write((r) => withSteps(r, 1, 1))).rejects.toThrow(LostOwnership);
    expect(h.lost).toBe(true);
    expect((await store.get(h.id))!.value).toEqual(theirs);
    await expect(h.write((r) => r)).rejects.toThrow(LostOwnership);
  });
});

describe('OpStore.delete: an operation record deleted', () => {
  test("takes its step pages along, those no head names too, and no other operation's", async () => {
    const store = await OpStore.open(nc, PAGE);
    const pages = await JsonKv.open<Records.StepRecord[]>(nc, Access.Bucket.opSteps);
    const stored = async (id: string) => {
      const out: string[] = [];
      for (const k of await pages.keys(`${id}.>`)) if (await pages.get(k)) out.push(k);
      return out;
    };

    // a record with many steps: its older ones in pages
    const a = newOp();
    let rev = await store.create(a.id, withSteps(a, 1, 40));
    // another orchestrator takes it over; this one, not knowing, writes pages its head never names
    const other = await OpStore.open(nc, PAGE);
    const cur = (await other.get(a.id))!;
    await other.update(a.id, { ...cur.value, owner: 'orchestrator-2' }, cur.revision);
    await expect(store.update(a.id, withSteps(cur.value, 41, 40), rev)).rejects.toThrow(/wrong last sequence/);
    const head = (await JsonKv.open<{ stepPages: Records.StepPage[] }>(nc, Access.Bucket.ops).then((kv) => kv.get(a.id)))!.value;
    const orphans = (await stored(a.id)).filter((k) => !head.stepPages.some((p) => p.key === k));
    expect(head.stepPages.length).toBeGreaterThan(1);
    expect(orphans.length).toBeGreaterThan(0);

    const b = newOp();
    rev = await store.create(b.id, withSteps(b, 1, 40));
    const bPages = await stored(b.id);
    expect(bPages.length).toBeGreaterThan(1);

    await store.delete(a.id);
    expect(await store.get(a.id)).toBeUndefined();
    expect((await store.values()).map((o) => o.id)).not.toContain(a.id);
    expect(await stored(a.id)).toEqual([]);
    // the other operation is whole
    expect(await stored(b.id)).toEqual(bPages);
    expect((await store.get(b.id))!.value.steps).toHaveLength(40);
  });

  test('what values() lists is a head, not a whole record: given where one is wanted, it does not compile (tsc -p tsconfig.spec.json)', async () => {
    const store = await OpStore.open(nc, PAGE);
    // @ts-expect-error: a head's steps are only its newest (stepPages counts the others)
    const whole: Records.OpRecord = (await store.values())[0];
    expect(whole.id).toBeDefined();
  });
});
