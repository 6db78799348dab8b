import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Bus, rpcError, toErrorBody } from '@vnf-lcm/bus';
import { Descriptor, Label, Lifecycle, Participant, Records, Vim } from '@vnf-lcm/contracts';
import { healing, type HealParams } from '../saga/healing.saga.js';
import { migrate, type MigrateParams } from '../saga/migrate.saga.js';
import { upgrade, type UpgradeParams } from '../saga/upgrade.saga.js';
import { OperationsService } from '../saga/operations.service.js';
import { asRpc, checkApp } from './app-policy.js';
import { scaleIn } from '../saga/scale-in.saga.js';
import { scaleOut, type ScaleParams } from '../saga/scale-out.saga.js';
import { terminate, terminationPlan, type TerminateParams } from '../saga/terminate.saga.js';

/** Requests after deployment: scale-out, scale-in and healing (DevOps or the VNFM), upgrade, migrate, terminate (DevOps). */
@Injectable()
export class LifecycleService implements OnModuleInit {
  constructor(
    @Inject(OperationsService) private readonly ops: OperationsService,
    @Inject(Bus) private readonly bus: Bus,
  ) {}

  onModuleInit() {
    const book = this.ops.book;
    this.ops.register(Records.Algorithm.scaleOut, (op) => (s) => scaleOut(s, book, op.params as unknown as ScaleParams));
    this.ops.register(Records.Algorithm.scaleIn, (op) => (s) => scaleIn(s, book, op.params as unknown as ScaleParams));
    this.ops.register(Records.Algorithm.healing, (op) => (s) => healing(s, book, op.params as unknown as HealParams));
    this.ops.register(Records.Algorithm.upgrade, (op) => (s) => upgrade(s, book, op.params as unknown as UpgradeParams));
    this.ops.register(Records.Algorithm.migrate, (op) => (s) => migrate(s, book, op.params as unknown as MigrateParams));
    this.ops.register(Records.Algorithm.terminate, (op) => (s) => terminate(s, book, op.params as unknown as TerminateParams));
  }

  /** Every node goes, clients first; the VNF ends NOT_INSTANTIATED and may be deployed again (ADR 20). */
  async terminate(req: Lifecycle.Terminate): Promise<Lifecycle.Reply> {
    return this.start({ vnf: req.vnf }, Records.Algorithm.terminate, (v) => {
      const params = terminationPlan(v);
      const nodes = params.clusters.reduce((n, c) => n + c.count, 0);
      return { params, what: `termination of ${v.name} (${nodes} nodes)` };
    });
  }

  async upgrade(req: Lifecycle.Upgrade): Promise<Lifecycle.Reply> {
    if (!req.version && !req.app) throw rpcError('invalid_request', 'name the target version, or carry its app spec');
    return this.start(req, Records.Algorithm.upgrade, (v) => {
      const spec = clusterOf(v, req.cluster);
      let app = req.app;
      if (app) {
        // the new spec is checked as the descriptor would be: schema, and the cluster's port
        try {
          Descriptor.parseDescriptor({ ...v.descriptor, clusters: v.descriptor.clusters.map((c) => (c.name === spec.name ? { ...c, versions: [...(c.versions ?? []), app!] } : c)) });
        } catch (err) {
          throw asRpc(err);
        }
        // then where it may run and with what environment, named as the request's own field
        checkApp(app, '/app');
        if (req.version && req.version !== app.version) throw rpcError('invalid_request', `version ${req.version} differs from the app's version ${app.version}`);
      } else {
        app = Descriptor.versionOf(spec, req.version!);
        if (!app) throw rpcError('not_found', `unknown version ${req.version} of ${spec.name}`, { versions: [spec.app, ...(spec.versions ?? [])].map((a) => a.version) });
        // checked at deployment, but perhaps against other roots (or before there were any)
        checkApp(app, appPointer(v.descriptor, spec, app));
      }
      const count = (v.nodes[spec.name] ?? []).filter((n) => n.version !== app!.version).length;
      if (count === 0) throw rpcError('invalid_request', `every node of ${spec.name} runs ${app.version} already`);
      const params: UpgradeParams = { cluster: spec.name, count, app, from: spec.app };
      return { params: { ...params, rollback: req.rollback ?? true }, what: `upgrade of ${spec.name} to ${app.version} (${count} nodes)` };
    });
  }

  async migrate(req: Lifecycle.Migrate): Promise<Lifecycle.Reply> {
    clusterOf(await this.deployed(req.vnf), req.cluster);
    // the VIM knows its zones: an unknown one is refused before anything starts
    await this.bus.call(Participant.vim, Vim.Subject.hostList, { zone: req.zone }, { op: 'none', timeoutMs: 5000 }).catch((err: unknown) => {
      const e = toErrorBody(err);
      throw rpcError(e.err_code, e.description, e.details);
    });
    return this.start(req, Records.Algorithm.migrate, (v) => {
      const spec = clusterOf(v, req.cluster);
      const count = (v.nodes[spec.name] ?? []).filter((n) => n.zone !== req.zone).length;
      if (count === 0) throw rpcError('invalid_request', `every node of ${spec.name} is in zone ${req.zone} already`);
      const from = v.nodes[spec.name]?.[0]?.zone;
      const params: MigrateParams = { cluster: spec.name, count, zone: req.zone, from };
      return { params: { ...params, rollback: req.rollback ?? true }, what: `migration of ${spec.name} to zone ${req.zone} (${count} nodes)` };
    });
  }

  async scale(direction: 'out' | 'in', req: Lifecycle.Scale): Promise<Lifecycle.Reply> {
    if (req.nodes != null && req.by != null) throw rpcError('invalid_request', 'give nodes or by, not both');
    return this.start(req, direction === 'out' ? Records.Algorithm.scaleOut : Records.Algorithm.scaleIn, (v) => {
      const spec = clusterOf(v, req.cluster);
      const from = v.nodes[req.cluster]?.length ?? 0;
      const step = req.by ?? 1;
      const to = req.nodes ?? (direction === 'out' ? from + step : from - step);
      const [min, max] = [Descriptor.minOf(spec), Descriptor.maxOf(spec)];
      const range = { current: from, requested: to, min, max };
      if (direction === 'out' && to <= from) throw rpcError('invalid_request', `${req.cluster} has ${from} nodes already; scale-out needs more`, range);
      if (direction === 'in' && to >= from) throw rpcError('invalid_request', `${req.cluster} has ${from} nodes; scale-in needs fewer`, range);
      if (to > max) throw rpcError('invalid_request', `${to} nodes is above the maximum of ${req.cluster} (${max})`, range);
      if (to < min) throw rpcError('invalid_request', `${to} nodes is below the minimum of ${req.cluster} (${min})`, range);
      // the VNF record lists every node: it must stay one message
      const total = Object.values(v.nodes).reduce((n, ns) => n + ns.length, 0) - from + to;
      if (direction === 'out' && total > Descriptor.MAX_VNF_NODES)
        throw rpcError('invalid_request', `${total} nodes in ${v.name} is over the limit of ${Descriptor.MAX_VNF_NODES} a VNF (MAX_VNF_NODES)`, { ...range, total, limit: Descriptor.MAX_VNF_NODES });
      const params: ScaleParams = { cluster: req.cluster, from, to };
      return { params, what: `scale-${direction} of ${req.cluster} from ${from} to ${to} nodes` };
    });
  }

  async heal(req: Lifecycle.Heal): Promise<Lifecycle.Reply> {
    return this.start(req, Records.Algorithm.healing, (v) => {
      const cluster = Object.keys(v.nodes).find((c) => v.nodes[c].some((n) => n.node === req.node));
      if (!cluster) throw rpcError('not_found', `unknown node ${req.node} of ${req.vnf}`);
      const params: HealParams = { cluster, node: req.node };
      return { params, what: `healing of ${req.node}` };
    });
  }

  /**
   * The checks run twice: on the record as read now, so that a bad request is answered as such
   * even while another operation holds the VNF, and again on the record the VNF's lock is taken
   * on, so that an operation that ended meanwhile (one more node, a new version) is counted.
   * `requestedBy` and `reason` come with scale and heal only: the VNFM never asks for the others.
   */
  private async start(req: { vnf: string; requestedBy?: Lifecycle.Requester; reason?: string }, algorithm: Records.Algorithm, plan: Plan): Promise<Lifecycle.Reply> {
    const requestedBy = req.requestedBy ?? 'DevOps';
    const { reason } = req;
    let { what } = plan(await this.deployed(req.vnf));
    const op = await this.ops.start({
      vnf: req.vnf,
      algorithm,
      plan: (v) => {
        const p = plan(deployed(v));
        what = p.what;
        return { ...p.params, ...(reason ? { reason } : {}) };
      },
      requestedBy,
      label: LABELS[algorithm]!,
    });
    return { op: op.id, vnf: req.vnf, state: op.state, message: `${what} started` };
  }

  private async deployed(vnf: string): Promise<Records.VnfRecord> {
    const v = await this.ops.book.get(vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${vnf}`);
    return deployed(v);
  }
}

/** What an operation will do, worked out from the VNF's record; throws to refuse it. */
type Plan = (v: Records.VnfRecord) => { params: object; what: string };

function deployed(v: Records.VnfRecord): Records.VnfRecord {
  if (v.state !== 'INSTANTIATED') throw rpcError('conflict', `vnf ${v.name} is not instantiated: not deployed yet, or terminated`, { op: v.activeOp, state: v.state });
  return v;
}

function clusterOf(v: Records.VnfRecord, cluster: string): Descriptor.ClusterSpec {
  const spec = v.descriptor.clusters.find((c) => c.name === cluster);
  if (!spec) throw rpcError('not_found', `unknown cluster ${v.name}/${cluster}`, { clusters: v.descriptor.clusters.map((c) => c.name) });
  return spec;
}

/** Where a recorded application spec sits in its descriptor, as a JSON pointer. */
function appPointer(d: Descriptor.VnfDescriptor, spec: Descriptor.ClusterSpec, app: Descriptor.AppSpec): string {
  const i = d.clusters.indexOf(spec);
  return app === spec.app ? `/clusters/${i}/app` : `/clusters/${i}/versions/${(spec.versions ?? []).indexOf(app)}`;
}

const LABELS: Partial<Record<Records.Algorithm, string>> = {
  [Records.Algorithm.scaleOut]: Label.requestScaleOut,
  [Records.Algorithm.scaleIn]: Label.requestScaleIn,
  [Records.Algorithm.healing]: Label.requestHealing,
  [Records.Algorithm.upgrade]: Label.requestUpgrade,
  [Records.Algorithm.migrate]: Label.requestMigration,
  [Records.Algorithm.terminate]: Label.requestTermination,
};
