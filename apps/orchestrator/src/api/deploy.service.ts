import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LOG, rpcError, type Logger } from '@vnf-lcm/bus';
import { Deploy, Descriptor, Label, nodeIdPrefix, Records } from '@vnf-lcm/contracts';
import { APP_ROOTS, checkedDescriptor } from './app-policy.js';
import { OperationStarter } from '../saga/starter.js';
import { VnfBook, now } from '../records/vnf-book.js';
import { VimZones } from './vim-zones.js';

/** DevOps->AO: request\nupdate. */
@Injectable()
export class DeployService implements OnModuleInit {
  constructor(
    @Inject(OperationStarter) private readonly ops: OperationStarter,
    @Inject(VnfBook) private readonly book: VnfBook,
    @Inject(VimZones) private readonly zones: VimZones,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  onModuleInit() {
    for (const { root, reason } of APP_ROOTS.ignored) this.log.warn({ root, reason }, `${Descriptor.APP_ROOTS_ENV} entry ignored`);
    if (APP_ROOTS.roots.length === 0) this.log.warn(`${Descriptor.APP_ROOTS_ENV} names no application root: only relative cwds are accepted`);
  }

  async request(req: Deploy.Request): Promise<Deploy.Reply> {
    const asked = checkedDescriptor(req.descriptor);
    const d = await this.placed(asked);
    // a record from before zones were written into it holds the descriptor as it was asked
    const same = (v: Records.VnfRecord) => [canonical(d), canonical(asked)].includes(canonical(v.descriptor));
    const existing = await this.book.get(d.name);
    if (existing && !existing.activeOp) {
      if (same(existing)) {
        if (existing.state === 'INSTANTIATED')
          return { op: '', vnf: d.name, state: Records.OpState.completed, created: false, message: `vnf ${d.name} is already deployed with this descriptor` };
      } else if (existing.state === 'INSTANTIATED') {
        throw rpcError('conflict', `vnf ${d.name} is deployed with another descriptor`, { hint: 'scale, upgrade or migrate it, or deploy under another name' });
      }
    }
    // checked again under the lock: two such deployments asked at once both pass the first check,
    // and at least one of them sees the other's record in the second
    const unshared = async () => {
      const s = sharedNodeIds(d, await this.book.all());
      if (s)
        throw rpcError('conflict', `the nodes of ${d.name}/${s.cluster} would have the ids of ${s.with.vnf}/${s.with.cluster}'s (${s.prefix}-<n>)`, {
          ...s,
          hint: 'rename the vnf or the cluster',
        });
    };
    await unshared();
    const op = await this.ops.start({
      vnf: d.name,
      algorithm: Records.Algorithm.deployment,
      requestedBy: 'DevOps',
      label: Label.requestUpdate,
      create: () => ({ name: d.name, descriptor: d, state: 'NOT_INSTANTIATED', nodes: {}, nextSeq: {}, updatedAt: now() }),
      // what was checked above, again on the record the lock is taken on (or the new one): an
      // operation that ended meanwhile may have deployed it
      plan: (v) => {
        if (v.state === 'INSTANTIATED')
          throw rpcError('conflict', same(v) ? `vnf ${d.name} is already deployed with this descriptor` : `vnf ${d.name} is deployed with another descriptor`, {
            hint: 'scale, upgrade or migrate it, or deploy under another name',
          });
        return { descriptor: d };
      },
      confirm: unshared,
    });
    return { op: op.id, vnf: d.name, state: op.state, created: true, message: `deployment of ${d.name} started` };
  }

  /**
   * Every cluster's zone, as the record will keep it (ADR 26): a zone the VIM does not know is
   * refused now, as a migration to it is, instead of stopping the deployment in FAILED_TEMP at its
   * first host; a cluster that names none gets the default zone, which does not change for it later.
   */
  private async placed(d: Descriptor.VnfDescriptor): Promise<Descriptor.VnfDescriptor> {
    const { defaultZone } = await this.zones.check(d.clusters.flatMap((c, i) => (c.zone ? [{ field: `/clusters/${i}/zone`, zone: c.zone }] : [])));
    return { ...d, clusters: d.clusters.map((c) => (c.zone ? c : { ...c, zone: defaultZone })) };
  }
}

/**
 * vnf `a` with cluster `b-c` and vnf `a-b` with cluster `c` would both name their first node
 * `a-b-c-1`, one subject for two agents (see nodeId).
 */
function sharedNodeIds(d: Descriptor.VnfDescriptor, others: Records.VnfRecord[]) {
  for (const w of others) {
    if (w.name === d.name) continue;
    // clusters it has nodes of count too: a deployment again may have dropped them from its descriptor
    const theirs = new Set([...w.descriptor.clusters.map((c) => c.name), ...Object.keys(w.nextSeq ?? {})]);
    for (const c of d.clusters)
      for (const o of theirs)
        if (nodeIdPrefix(d.name, c.name) === nodeIdPrefix(w.name, o))
          return { cluster: c.name, with: { vnf: w.name, cluster: o }, prefix: nodeIdPrefix(d.name, c.name) };
  }
  return undefined;
}

/** JSON with sorted keys, so that two equal descriptors compare equal whatever their key order. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  );
}
