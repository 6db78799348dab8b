import { Inject, Injectable } from '@nestjs/common';
import { rpcError, toErrorBody } from '@vnf-lcm/bus';
import { Descriptor, Label, Lifecycle, Records } from '@vnf-lcm/contracts';
import { VnfBook } from '../records/vnf-book.js';
import type { Params } from '../saga/algorithms.js';
import { OperationStarter } from '../saga/starter.js';
import { terminationPlan } from '../saga/terminate.saga.js';
import { asRpc, checkApp } from './app-policy.js';
import { VimZones } from './vim-zones.js';
import { appPointer, clusterOf, deployed, healPlan, knownVersion, migratePlan, scalePlan, upgradeCount } from './plans.js';

/** The algorithms started after deployment, each by the request its diagram opens with. */
type After = Exclude<Records.Algorithm, typeof Records.Algorithm.deployment>;

const LABELS: Record<After, string> = {
  [Records.Algorithm.scaleOut]: Label.requestScaleOut,
  [Records.Algorithm.scaleIn]: Label.requestScaleIn,
  [Records.Algorithm.healing]: Label.requestHealing,
  [Records.Algorithm.upgrade]: Label.requestUpgrade,
  [Records.Algorithm.migrate]: Label.requestMigration,
  [Records.Algorithm.terminate]: Label.requestTermination,
};

/** What an operation will do, worked out from the VNF's record; throws to refuse it. */
type Plan<A extends After> = (v: Records.VnfRecord) => { params: Params<A>; what: string };

/** Requests after deployment: scale-out, scale-in and healing (DevOps or the VNFM), upgrade, migrate, terminate (DevOps). */
@Injectable()
export class LifecycleService {
  constructor(
    @Inject(OperationStarter) private readonly ops: OperationStarter,
    @Inject(VnfBook) private readonly book: VnfBook,
    @Inject(VimZones) private readonly zones: VimZones,
  ) {}

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
      const app = req.app ? this.newApp(v, spec, req.app, req.version) : knownVersion(spec, req.version!);
      // a known version was checked at deployment, but perhaps against other roots (or before there were any)
      if (!req.app) checkApp(app, appPointer(v.descriptor, spec, app));
      const count = upgradeCount(v, spec, app.version);
      const params = { cluster: spec.name, count, app, from: spec.app, rollback: req.rollback ?? true };
      return { params, what: `upgrade of ${spec.name} to ${app.version} (${count} nodes)` };
    });
  }

  /** A version the request carries is checked as the descriptor would be: schema, the cluster's port, where it may run. */
  private newApp(v: Records.VnfRecord, spec: Descriptor.ClusterSpec, app: Descriptor.AppSpec, version: string | undefined): Descriptor.AppSpec {
    try {
      Descriptor.parseDescriptor({
        ...v.descriptor,
        clusters: v.descriptor.clusters.map((c) => (c.name === spec.name ? { ...c, versions: [...(c.versions ?? []), app] } : c)),
      });
    } catch (err) {
      throw asRpc(err);
    }
    // then where it may run and with what environment, named as the request's own field
    checkApp(app, '/app');
    if (version && version !== app.version) throw rpcError('invalid_request', `version ${version} differs from the app's version ${app.version}`);
    return app;
  }

  async migrate(req: Lifecycle.Migrate): Promise<Lifecycle.Reply> {
    clusterOf(deployed(await this.known(req.vnf)), req.cluster);
    // the VIM knows its zones: an unknown one is refused before anything starts
    await this.zones.check([{ field: '/zone', zone: req.zone }]);
    return this.start(req, Records.Algorithm.migrate, (v) => {
      const params = migratePlan(v, req.cluster, req.zone);
      return { params: { ...params, rollback: req.rollback ?? true }, what: `migration of ${params.cluster} to zone ${req.zone} (${params.count} nodes)` };
    });
  }

  async scale(req: Lifecycle.Scale, direction: 'out' | 'in'): Promise<Lifecycle.Reply> {
    if (req.nodes != null && req.by != null) throw rpcError('invalid_request', 'give nodes or by, not both');
    return this.start(req, direction === 'out' ? Records.Algorithm.scaleOut : Records.Algorithm.scaleIn, (v) => {
      const params = scalePlan(v, req, direction);
      return { params, what: `scale-${direction} of ${req.cluster} from ${params.from} to ${params.to} nodes` };
    });
  }

  async heal(req: Lifecycle.Heal): Promise<Lifecycle.Reply> {
    return this.start(req, Records.Algorithm.healing, (v) => ({ params: healPlan(v, req.node), what: `healing of ${req.node}` }), { nodeMayGo: true });
  }

  /**
   * The checks run twice: on the record as read now, so that a bad request is answered as such
   * even while another operation holds the VNF, and again on the record the VNF's lock is taken
   * on, so that an operation that ended meanwhile (one more node, a new version) is counted. A
   * VNF not deployed yet, or a node to heal that is no longer in the record, while another
   * operation holds the VNF, is for the second to say (a conflict naming that operation): the
   * VNFM asks again soon after a conflict, only much later after an unknown node.
   * `requestedBy` and `reason` come with scale and heal only: the VNFM never asks for the others.
   */
  private async start<A extends After>(
    req: { vnf: string; requestedBy?: Lifecycle.Requester; reason?: string },
    algorithm: A,
    plan: Plan<A>,
    /** an unknown node may be one the running operation took out of the record (heal) */
    opts: { nodeMayGo?: boolean } = {},
  ): Promise<Lifecycle.Reply> {
    const requestedBy = req.requestedBy ?? 'DevOps';
    const { reason } = req;
    const v = await this.known(req.vnf);
    let what: string = algorithm;
    try {
      ({ what } = plan(deployed(v)));
    } catch (err) {
      // what a running operation is changing (a deployment not done yet, a node it took out of
      // the record already: the one it heals, say) is the lock's to answer: a conflict naming
      // that operation, or, once it has ended, the checks again on the record it left
      const code = toErrorBody(err).err_code;
      const changing = v.state !== 'INSTANTIATED' || (code === 'not_found' && opts.nodeMayGo);
      if (!v.activeOp || !changing || (code !== 'not_found' && code !== 'conflict')) throw err;
    }
    const op = await this.ops.start({
      vnf: req.vnf,
      algorithm,
      plan: (v) => {
        const p = plan(deployed(v));
        what = p.what;
        return { ...p.params, ...(reason ? { reason } : {}) };
      },
      requestedBy,
      label: LABELS[algorithm],
    });
    return { op: op.id, vnf: req.vnf, state: op.state, message: `${what} started` };
  }

  private async known(vnf: string): Promise<Records.VnfRecord> {
    const v = await this.book.get(vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${vnf}`);
    return v;
  }
}
