import type { NatsConnection } from '@nats-io/transport-node';
import { CasConflict, JsonKv, type Versioned } from '@vnf-lcm/bus';
import { Access, Query, type Records } from '@vnf-lcm/contracts';

/**
 * Steps are written out of the operation record in pages of at most this many bytes of JSON
 * (AO_STEP_PAGE_BYTES). A record is one KV value, one NATS message of at most max_payload
 * (1 MiB by default): a deployment of 1000 nodes has some 8000 steps, over a megabyte. And the
 * record is rewritten at every step: 64 KiB, not 256, made a 1000-node deployment 2.5 × faster
 * (bench/scale).
 */
export const STEP_PAGE_BYTES = Math.max(1024, Number(process.env.AO_STEP_PAGE_BYTES) || 64 * 1024);

/**
 * An operation record as stored: its newest steps only, and where the older ones are. Not a
 * whole record (get() gives that): its steps are read-only, so that a head given where a whole
 * record is wanted (to resume it, to count its steps) does not compile.
 */
export type OpHead = Omit<Records.OpRecord, 'steps'> & { steps: readonly Records.StepRecord[]; stepPages?: Records.StepPage[] };

/**
 * The operation records (`ao-ops`) with their steps split off into immutable pages
 * (`ao-op-steps`, key `<op>.<page>.<revision>`) once they outgrow STEP_PAGE_BYTES. get() gives
 * the record whole, as before; update() and create() take it whole and page what is new. Steps are
 * only ever appended, so the stored pages are always a prefix of the record's steps.
 */
export class OpStore {
  /** the pages of each record as this process last wrote or read it */
  private readonly pages = new Map<string, { revision: number; pages: Records.StepPage[] }>();

  private constructor(
    private readonly heads: JsonKv<OpHead>,
    private readonly steps: JsonKv<Records.StepRecord[]>,
    readonly pageBytes: number,
  ) {}

  static async open(nc: NatsConnection, pageBytes = STEP_PAGE_BYTES): Promise<OpStore> {
    return new OpStore(await JsonKv.open<OpHead>(nc, Access.Bucket.ops), await JsonKv.open<Records.StepRecord[]>(nc, Access.Bucket.opSteps), pageBytes);
  }

  async get(id: string): Promise<Versioned<Records.OpRecord> | undefined> {
    const h = await this.heads.get(id);
    if (!h) return undefined;
    const { stepPages = [], ...head } = h.value;
    const older = await Promise.all(
      stepPages.map(async (p) => {
        const s = (await this.steps.get(p.key))?.value;
        // a page is written before the head that names it: missing, the record cannot be told whole
        if (!s || s.length !== p.count) throw new Error(`operation ${id}: step page ${p.key} is missing`);
        return s;
      }),
    );
    this.pages.set(id, { revision: h.revision, pages: stepPages });
    return { value: { ...head, steps: [...older.flat(), ...head.steps] }, revision: h.revision };
  }

  /** the stored heads: every field but the older steps (their count is in stepPages) */
  async values(): Promise<OpHead[]> {
    return this.heads.values();
  }

  /**
   * Deletes an operation record: its head first (from then on it is neither listed nor resumed),
   * then every page under its id, those no head names too (written by an orchestrator that then
   * lost the record to another). Whatever prunes operation records deletes them with this.
   */
  async delete(id: string): Promise<void> {
    await this.heads.delete(id);
    this.pages.delete(id);
    for (const key of await this.steps.keys(`${id}.>`)) if (await this.steps.get(key)) await this.steps.delete(key);
  }

  async create(id: string, r: Records.OpRecord): Promise<number> {
    const { head, pages } = await this.split(id, r, [], 0);
    const revision = await this.heads.create(id, head);
    this.pages.set(id, { revision, pages });
    return revision;
  }

  /** Fails when the record changed since `revision` was read, as JsonKv.update does. */
  async update(id: string, r: Records.OpRecord, revision: number): Promise<number> {
    let stored = this.pages.get(id)?.revision === revision ? this.pages.get(id)!.pages : undefined;
    if (!stored) {
      const h = await this.heads.get(id);
      // changed since: the write fails as it would have, and writes nothing (the whole record,
      // unpaged, might not even fit in a message)
      if (h?.revision !== revision) throw new CasConflict(id);
      stored = h.value.stepPages ?? [];
    }
    const { head, pages } = await this.split(id, r, stored, revision);
    const next = await this.heads.update(id, head, revision);
    this.pages.set(id, { revision: next, pages });
    return next;
  }

  /**
   * The head to store: the steps after the stored pages, less those that make new full pages,
   * which are written first. A page's key has the revision it follows, so a writer that lost the
   * record to another never overwrites a page the other's head names.
   */
  private async split(id: string, r: Records.OpRecord, stored: Records.StepPage[], revision: number): Promise<{ head: OpHead; pages: Records.StepPage[] }> {
    const pages = [...stored];
    let tail = r.steps.slice(pages.reduce((n, p) => n + p.count, 0));
    for (let cut = pageCut(tail, this.pageBytes); cut > 0; cut = pageCut(tail, this.pageBytes)) {
      const key = `${id}.${pages.length}.${revision}`;
      await this.steps.put(key, tail.slice(0, cut));
      pages.push({ key, count: cut });
      tail = tail.slice(cut);
    }
    return { head: { ...r, steps: tail, ...(pages.length ? { stepPages: pages } : {}) }, pages };
  }
}

/**
 * How many of `steps` make a full page: 0 while they all fit in `bytes`, else as many as fit
 * (at least one: a step bigger than a page gets a page of its own).
 */
export function pageCut(steps: Records.StepRecord[], bytes: number): number {
  let size = 1; // `[`, then each step with its `,` or `]`
  for (let i = 0; i < steps.length; i++) {
    size += Query.utf8Length(JSON.stringify(steps[i])) + 1;
    if (size > bytes) return Math.max(1, i);
  }
  return 0;
}
