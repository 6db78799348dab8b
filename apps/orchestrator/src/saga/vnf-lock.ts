import { Inject, Injectable } from '@nestjs/common';
import { LOG, rpcError, type Logger } from '@vnf-lcm/bus';
import type { Records } from '@vnf-lcm/contracts';
import { RecordsStore } from '../records/records.store.js';
import { now } from '../records/vnf-book.js';
import { heldError, tryLock, type LockRequest, type LockTry } from './conflicts.js';

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
