import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { rpcError } from '@vnf-lcm/bus';
import { Descriptor, Label, Lifecycle, Records } from '@vnf-lcm/contracts';
import { healing, type HealParams } from '../saga/healing.saga.js';
import { OperationsService } from '../saga/operations.service.js';
import { scaleIn } from '../saga/scale-in.saga.js';
import { scaleOut, type ScaleParams } from '../saga/scale-out.saga.js';

/** Scale-out, scale-in and healing requests, from DevOps or from the VNFM. */
@Injectable()
export class LifecycleService implements OnModuleInit {
  constructor(@Inject(OperationsService) private readonly ops: OperationsService) {}

  onModuleInit() {
    const book = this.ops.book;
    this.ops.register(Records.Algorithm.scaleOut, (op) => (s) => scaleOut(s, book, op.params as unknown as ScaleParams));
    this.ops.register(Records.Algorithm.scaleIn, (op) => (s) => scaleIn(s, book, op.params as unknown as ScaleParams));
    this.ops.register(Records.Algorithm.healing, (op) => (s) => healing(s, book, op.params as unknown as HealParams));
  }

  async scale(direction: 'out' | 'in', req: Lifecycle.Scale): Promise<Lifecycle.Reply> {
    const v = await this.deployed(req.vnf);
    const spec = v.descriptor.clusters.find((c) => c.name === req.cluster);
    if (!spec) throw rpcError('not_found', `unknown cluster ${req.vnf}/${req.cluster}`, { clusters: v.descriptor.clusters.map((c) => c.name) });
    if (req.nodes !== undefined && req.by !== undefined) throw rpcError('invalid_request', 'give nodes or by, not both');
    const from = v.nodes[req.cluster]?.length ?? 0;
    const step = req.by ?? 1;
    const to = req.nodes ?? (direction === 'out' ? from + step : from - step);
    const [min, max] = [Descriptor.minOf(spec), Descriptor.maxOf(spec)];
    const range = { current: from, requested: to, min, max };
    if (direction === 'out' && to <= from) throw rpcError('invalid_request', `${req.cluster} has ${from} nodes already; scale-out needs more`, range);
    if (direction === 'in' && to >= from) throw rpcError('invalid_request', `${req.cluster} has ${from} nodes; scale-in needs fewer`, range);
    if (to > max) throw rpcError('invalid_request', `${to} nodes is above the maximum of ${req.cluster} (${max})`, range);
    if (to < min) throw rpcError('invalid_request', `${to} nodes is below the minimum of ${req.cluster} (${min})`, range);
    const params: ScaleParams = { cluster: req.cluster, from, to };
    return this.start(req, direction === 'out' ? Records.Algorithm.scaleOut : Records.Algorithm.scaleIn, params, `scale-${direction} of ${req.cluster} from ${from} to ${to} nodes`);
  }

  async heal(req: Lifecycle.Heal): Promise<Lifecycle.Reply> {
    const v = await this.deployed(req.vnf);
    const cluster = Object.keys(v.nodes).find((c) => v.nodes[c].some((n) => n.node === req.node));
    if (!cluster) throw rpcError('not_found', `unknown node ${req.node} of ${req.vnf}`);
    const params: HealParams = { cluster, node: req.node };
    return this.start(req, Records.Algorithm.healing, params, `healing of ${req.node}`);
  }

  private async start(req: Lifecycle.Scale | Lifecycle.Heal, algorithm: Records.Algorithm, params: object, what: string): Promise<Lifecycle.Reply> {
    const requestedBy = req.requestedBy ?? 'DevOps';
    const op = await this.ops.start({
      vnf: req.vnf,
      algorithm,
      params: { ...params, ...(req.reason ? { reason: req.reason } : {}) },
      requestedBy,
      label: LABELS[algorithm]!,
    });
    return { op: op.id, vnf: req.vnf, state: op.state, message: `${what} started` };
  }

  private async deployed(vnf: string): Promise<Records.VnfRecord> {
    const v = await this.ops.book.get(vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${vnf}`);
    if (v.state !== 'INSTANTIATED') throw rpcError('conflict', `vnf ${vnf} is not deployed yet`, { op: v.activeOp });
    return v;
  }
}

const LABELS: Partial<Record<Records.Algorithm, string>> = {
  [Records.Algorithm.scaleOut]: Label.requestScaleOut,
  [Records.Algorithm.scaleIn]: Label.requestScaleIn,
  [Records.Algorithm.healing]: Label.requestHealing,
};
