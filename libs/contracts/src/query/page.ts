import type { OpRecord, VnfRecord } from '../records/index.js';
import type { OpSummary, VnfSummary } from './index.js';

/**
 * One page of `items` (already in their order) after `cursor`: at most `limit` of them, and no
 * more than fit in `budget` bytes of JSON. The first always goes, whatever its size: a page that
 * held nothing would never get past it. `keyOf` is the item's cursor, strictly increasing.
 */
export function page<T>(items: T[], keyOf: (t: T) => string, o: { cursor?: string; limit: number; budget: number }): { items: T[]; next?: string } {
  const rest = o.cursor === undefined ? items : items.filter((t) => keyOf(t) > o.cursor!);
  const out: T[] = [];
  // the reply's own braces, key and `next`: counted once, generously
  let bytes = 256;
  for (const t of rest) {
    if (out.length === o.limit) break;
    const size = utf8Length(JSON.stringify(t)) + 1;
    if (out.length > 0 && bytes + size > o.budget) break;
    out.push(t);
    bytes += size;
  }
  return out.length < rest.length ? { items: out, next: keyOf(out[out.length - 1]) } : { items: out };
}

export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

export const vnfCursor = (v: { name: string }) => v.name;
/** ops sort by start time, ties by id: a time and an id, `~` between (neither holds one) */
export const opCursor = (o: { startedAt: string; id: string }) => `${o.startedAt}~${o.id}`;

export function vnfSummary(v: VnfRecord): VnfSummary {
  return {
    name: v.name,
    state: v.state,
    clusters: v.descriptor.clusters.map((c) => {
      const nodes = v.nodes[c.name] ?? [];
      const running: Record<string, number> = {};
      for (const n of nodes) running[n.version ?? c.app.version] = (running[n.version ?? c.app.version] ?? 0) + 1;
      return {
        name: c.name,
        nodes: nodes.length,
        want: c.nodes,
        version: c.app.version,
        running,
        ...(c.zone ? { zone: c.zone } : {}),
        ...(c.dependsOn?.length ? { dependsOn: c.dependsOn } : {}),
      };
    }),
    ...(v.activeOp ? { activeOp: v.activeOp } : {}),
    updatedAt: v.updatedAt,
  };
}

/** `stepPages`: a stored record's steps kept apart, counted with the rest */
export function opSummary(o: Omit<OpRecord, 'steps'> & { steps: readonly unknown[]; stepPages?: { count: number }[] }): OpSummary {
  const params: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o.params)) {
    // the big ones: a deployment's descriptor, an upgrade's app specs
    if (k === 'descriptor') params.descriptor = { name: (x as { name?: string })?.name, bytes: utf8Length(JSON.stringify(x)) };
    else if ((k === 'app' || k === 'from') && x && typeof x === 'object') params[k] = { version: (x as { version?: string }).version };
    else params[k] = x;
  }
  return {
    id: o.id,
    vnf: o.vnf,
    algorithm: o.algorithm,
    params,
    requestedBy: o.requestedBy,
    state: o.state,
    steps: (o.stepPages ?? []).reduce((n, p) => n + p.count, 0) + o.steps.length,
    ...(o.error ? { error: o.error } : {}),
    startedAt: o.startedAt,
    ...(o.endedAt ? { endedAt: o.endedAt } : {}),
  };
}

/**
 * Every item of a paged list, following `next` until the last page: what a client that wants
 * them all calls instead of one request. `request` is the client's own.
 */
export async function listAll<R extends { next?: string }, T>(
  request: (subject: string, body: Record<string, unknown>) => Promise<R>,
  subject: string,
  body: Record<string, unknown>,
  itemsOf: (r: R) => T[],
): Promise<T[]> {
  const out: T[] = [];
  for (let cursor: string | undefined; ; ) {
    const r = await request(subject, { ...body, ...(cursor !== undefined ? { cursor } : {}) });
    out.push(...itemsOf(r));
    if (r.next === undefined) return out;
    // a server that keeps answering the same cursor would loop for ever
    if (r.next === cursor) throw new Error(`${subject}: the cursor did not move`);
    cursor = r.next;
  }
}

/** An operation record for a reply of at most `budget` bytes: its newest steps that fit, if not all. */
export function opWithin(o: OpRecord, budget: number): { op: OpRecord; omittedSteps?: number } {
  let size = utf8Length(JSON.stringify(o)) + 64;
  if (size <= budget) return { op: o };
  let from = 0;
  while (from < o.steps.length && size > budget) size -= utf8Length(JSON.stringify(o.steps[from++])) + 1;
  return { op: { ...o, steps: o.steps.slice(from) }, omittedSteps: from };
}
