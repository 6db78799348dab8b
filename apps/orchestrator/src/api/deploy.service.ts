import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Bus, LOG, rpcError, toErrorBody, type Logger } from '@vnf-lcm/bus';
import { Deploy, Descriptor, Label, nodeIdPrefix, Participant, Records, Vim } from '@vnf-lcm/contracts';
import { APP_ROOTS, checkedDescriptor } from './app-policy.js';
import { OperationStarter } from '../saga/starter.js';
import { VnfBook, now } from '../records/vnf-book.js';

/** DevOps->AO: request\nupdate. */
@Injectable()
export class DeployService implements OnModuleInit {
  constructor(
    @Inject(OperationStarter) private readonly ops: OperationStarter,
    @Inject(VnfBook) private readonly book: VnfBook,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(LOG) private readonly log: Logger,
  ) {}

  onModuleInit() {
    for (const { root, reason } of APP_ROOTS.ignored) this.log.warn({ root, reason }, `${Descriptor.APP_ROOTS_ENV} entry ignored`);
    if (APP_ROOTS.roots.length === 0) this.log.warn(`${Descriptor.APP_ROOTS_ENV} names no application root: only relative cwds are accepted`);
  }

  async request(req: Deploy.Request): Promise<Deploy.Reply> {
    const d = checkedDescriptor(req.descriptor);
    await this.zonesKnown(d);
    const existing = await this.book.get(d.name);
    if (existing && !existing.activeOp) {
      if (canonical(existing.descriptor) === canonical(d)) {
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
          throw rpcError(
            'conflict',
            canonical(v.descriptor) === canonical(d)
              ? `vnf ${d.name} is already deployed with this descriptor`
              : `vnf ${d.name} is deployed with another descriptor`,
            {
              hint: 'scale, upgrade or migrate it, or deploy under another name',
            },
          );
        return { descriptor: d };
      },
      confirm: unshared,
    });
    return { op: op.id, vnf: d.name, state: op.state, created: true, message: `deployment of ${d.name} started` };
  }

  /**
   * The VIM knows its zones: a cluster naming one it has not is refused now, as a migration to it
   * is, instead of stopping the deployment in FAILED_TEMP at its first host. Asked only when a
   * cluster names a zone (the default one always exists), once per zone.
   */
  private async zonesKnown(d: Descriptor.VnfDescriptor): Promise<void> {
    const named = [...new Set(d.clusters.flatMap((c) => (c.zone ? [c.zone] : [])))];
    const unknown = new Map<string, unknown>();
    await Promise.all(
      named.map((zone) =>
        this.bus.call(Participant.vim, Vim.Subject.hostList, { zone }, { op: 'none', timeoutMs: 5000 }).catch((err: unknown) => {
          const e = toErrorBody(err);
          // anything else (the VIM down, a timeout) is answered as migrate answers it
          if (e.err_code !== 'not_found') throw rpcError(e.err_code, e.description, e.details);
          unknown.set(zone, (e.details as { zones?: unknown } | undefined)?.zones);
        }),
      ),
    );
    if (unknown.size === 0) return;
    const issues = d.clusters.flatMap((c, i) => (c.zone && unknown.has(c.zone) ? [{ field: `/clusters/${i}/zone`, message: `unknown zone ${c.zone}` }] : []));
    const zones = [...unknown.values()].find((z) => z !== undefined);
    throw rpcError('not_found', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues, ...(zones ? { zones } : {}) });
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
