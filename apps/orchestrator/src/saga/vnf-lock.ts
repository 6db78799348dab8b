import { Inject, Injectable } from '@nestjs/common';
import { LOG, rpcError, type Logger } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import { RecordsStore } from '../records/records.store.js';
import { now } from '../records/vnf-book.js';

/** What taking a VNF's lock needs to know of the request (see StartRequest). */
export interface LockRequest<P> {
  vnf: string;
  create?: () => Records.VnfRecord;
  plan: (v: Records.VnfRecord) => P;
}

export type LockTry<P> = { next: Records.VnfRecord; params: P } | { heldBy: string } | { absent: true };

/**
 * The lock as taken on the VNF record `v` (undefined: there is none) for operation `id`: the
 * record to write with its parameters, or why not: another operation holds it, or there is no
 * VNF and the request makes none. `plan` runs on this very record, so no operation ends in
 * between, and its throw refuses the request.
 */
export function tryLock<P>(v: Records.VnfRecord | undefined, id: string, req: LockRequest<P>, at: string): LockTry<P> {
  if (v?.activeOp) return { heldBy: v.activeOp };
  if (!v && !req.create) return { absent: true };
  // a deployment again over one that never completed deploys the descriptor it carries now
  const base = !v ? req.create!() : req.create && v.state === 'NOT_INSTANTIATED' ? { ...v, descriptor: req.create().descriptor } : v;
  return { next: { ...base, activeOp: id, updatedAt: at }, params: req.plan(v ?? base) };
}

/** The conflict a request meets on a VNF that `holder` (an operation, maybe gone meanwhile) holds. */
export function heldError(vnf: string, holder: string, h: Records.OpRecord | undefined) {
  const details = { op: holder, algorithm: h?.algorithm, state: h?.state };
  if (h?.state === Records.OpState.failedTemp)
    return rpcError('conflict', `vnf ${vnf} waits for an operator: operation ${holder} is FAILED_TEMP; retry, rollback or fail it first`, details);
  return rpcError('conflict', `vnf ${vnf} has a running operation ${holder}`, details);
}

/** One lifecycle operation per VNF at a time: the VNF record names the operation that holds it. */
@Injectable()
export class VnfLock {
  constructor(
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  /** Takes the lock for operation `id`. Returns its parameters, and the record as it was before. */
  async take<P>(req: LockRequest<P>, id: string): Promise<{ params: P; before?: Records.VnfRecord }> {
    // assigned in the callback, which mutate() may run again on a newer record
    let taken = { absent: true } as LockTry<P>;
    let before: Records.VnfRecord | undefined;
    await this.store.vnfs.mutate(req.vnf, (v) => {
      before = v;
      taken = tryLock(v, id, req, now());
      return 'next' in taken ? taken.next : undefined;
    });
    if ('heldBy' in taken) throw heldError(req.vnf, taken.heldBy, (await this.store.ops.get(taken.heldBy))?.value);
    const v = await this.store.vnfs.get(req.vnf);
    if (!v || !('params' in taken)) throw rpcError('not_found', `unknown vnf ${req.vnf}`);
    return { params: taken.params, before };
  }

  /** Undoes take() for a request that starts no operation: the record is as it was before. */
  async release(vnf: string, id: string, before: Records.VnfRecord | undefined): Promise<void> {
    try {
      const cur = await this.store.vnfs.get(vnf);
      if (cur?.value.activeOp !== id) return;
      if (!before) await this.store.vnfs.delete(vnf);
      else await this.store.vnfs.mutate(vnf, (v) => (v?.activeOp === id ? { ...before, updatedAt: now() } : undefined));
    } catch (err) {
      this.log.error({ op: id, vnf, err: (err as Error).message }, 'could not release the vnf after a refused start');
    }
  }
}
