import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Bus, rpcError, toErrorBody } from '@vnf-lcm/bus';
import { Deploy, Lifecycle, Participant, Query, Records, Trace, Vim, Vnfm } from '@vnf-lcm/contracts';
import { RecordsStore } from '../records/records.store.js';
import { DeployService } from './deploy.service.js';
import { LifecycleService } from './lifecycle.service.js';
import { TraceService } from './trace.service.js';
import { OperatorActions } from '../saga/operator-actions.js';

/** The AO's public subjects: plain JSON in, plain JSON out. */
@Controller()
export class AoController {
  constructor(
    @Inject(DeployService) private readonly deploy: DeployService,
    @Inject(RecordsStore) private readonly store: RecordsStore,
    @Inject(TraceService) private readonly trace: TraceService,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
    @Inject(OperatorActions) private readonly ops: OperatorActions,
    @Inject(Bus) private readonly bus: Bus,
  ) {}

  /** a node of a VNF record: its log, from the VIM (which asks the host's driver) */
  @MessagePattern(Query.Subject.nodeLogs)
  async nodeLogs(@Payload() p: Query.NodeLogs): Promise<Query.NodeLogsReply> {
    const vnfs = await this.store.vnfs.values();
    const known = vnfs.flatMap((v) => Object.values(v.nodes).flat()).find((n) => n.node === p.node);
    if (!known) throw rpcError('not_found', `unknown node ${p.node}`);
    const req: Vim.HostLogs = { node: p.node, source: p.source ?? 'app', tail: p.tail ?? 100, ...(p.cursor !== undefined ? { cursor: p.cursor } : {}) };
    // asked of the adapters of the node's zone, which the record has
    const subject = Vim.subject(Vim.Verb.hostLogs, known.zone);
    return this.bus.call<Query.NodeLogsReply>(Participant.vim, subject, req, { op: 'none', timeoutMs: 10_000 }).catch((err: unknown) => {
      const e = toErrorBody(err);
      throw rpcError(e.err_code, e.description, e.details);
    });
  }

  /** a VNF's nodes with what the VNFM last heard of each: operators may not read heartbeats themselves */
  @MessagePattern(Query.Subject.nodeHealth)
  async nodeHealth(@Payload() p: Query.NodeHealth): Promise<Query.NodeHealthReply> {
    const v = await this.store.vnfs.get(p.vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${p.vnf}`);
    // no label: a read, not part of any operation's trace
    const { clusters } = await this.bus
      .call<Vnfm.ClusterListReply>(Participant.vnfm, Vnfm.Subject.clusterGet, { vnf: p.vnf }, { op: 'none', timeoutMs: 5_000 })
      .catch((err: unknown) => {
        const e = toErrorBody(err);
        throw rpcError(e.err_code, e.description, e.details);
      });
    const heard = new Map(clusters.flatMap((c) => c.nodes.map((n) => [n.node, n] as const)));
    const nodes = Object.values(v.value.nodes)
      .flat()
      .map((n): Query.NodeHealthEntry => {
        const h = heard.get(n.node);
        return {
          node: n.node,
          cluster: n.cluster,
          address: n.address,
          zone: n.zone,
          ...(n.version !== undefined ? { version: n.version } : {}),
          ...(h ? { state: h.state, ...(h.lastSeen ? { lastSeen: h.lastSeen } : {}), ...(h.app ? { app: h.app } : {}) } : {}),
        };
      });
    return { vnf: p.vnf, nodes };
  }

  @MessagePattern(Lifecycle.Subject.scaleOut)
  scaleOut(@Payload() p: Lifecycle.Scale): Promise<Lifecycle.Reply> {
    return this.lifecycle.scale(p, 'out');
  }

  @MessagePattern(Lifecycle.Subject.scaleIn)
  scaleIn(@Payload() p: Lifecycle.Scale): Promise<Lifecycle.Reply> {
    return this.lifecycle.scale(p, 'in');
  }

  @MessagePattern(Lifecycle.Subject.upgrade)
  upgrade(@Payload() p: Lifecycle.Upgrade): Promise<Lifecycle.Reply> {
    return this.lifecycle.upgrade(p);
  }

  @MessagePattern(Lifecycle.Subject.migrate)
  migrate(@Payload() p: Lifecycle.Migrate): Promise<Lifecycle.Reply> {
    return this.lifecycle.migrate(p);
  }

  @MessagePattern(Lifecycle.Subject.heal)
  heal(@Payload() p: Lifecycle.Heal): Promise<Lifecycle.Reply> {
    return this.lifecycle.heal(p);
  }

  @MessagePattern(Lifecycle.Subject.terminate)
  terminate(@Payload() p: Lifecycle.Terminate): Promise<Lifecycle.Reply> {
    return this.lifecycle.terminate(p);
  }

  @MessagePattern(Deploy.Subject)
  request(@Payload() p: Deploy.Request): Promise<Deploy.Reply> {
    return this.deploy.request(p);
  }

  @MessagePattern(Query.Subject.vnfGet)
  async vnfGet(@Payload() p: Query.VnfGet): Promise<Query.VnfGetReply> {
    const v = await this.store.vnfs.get(p.vnf);
    if (!v) throw rpcError('not_found', `unknown vnf ${p.vnf}`);
    return { vnf: v.value };
  }

  /** a page of summaries in name order: the records themselves may together outgrow a message */
  @MessagePattern(Query.Subject.vnfList)
  async vnfList(@Payload() p: Query.VnfList): Promise<Query.VnfListReply> {
    const names = (await this.store.vnfs.keys()).sort();
    // only the page's records are read, and one more, which says whether a next page exists
    const after = p.cursor === undefined ? names : names.filter((n) => n > p.cursor!);
    const limit = p.limit ?? Query.LIST_DEFAULT_LIMIT;
    const vnfs: Query.VnfSummary[] = [];
    for (let i = 0; i < after.length && vnfs.length <= limit; i++) {
      const v = await this.store.vnfs.get(after[i]);
      if (v) vnfs.push(Query.vnfSummary(v.value));
    }
    const { items, next } = Query.page(vnfs, Query.vnfCursor, { limit, budget: Query.MAX_REPLY_BYTES });
    return next !== undefined ? { vnfs: items, next } : { vnfs: items };
  }

  @MessagePattern(Query.Subject.opGet)
  async opGet(@Payload() p: Query.OpGet): Promise<Query.OpGetReply> {
    const o = /^[a-f0-9-]{1,64}$/.test(p.op) ? await this.store.ops.get(p.op) : undefined;
    if (!o) throw rpcError('not_found', `unknown operation ${p.op}`);
    return Query.opWithin(o.value, Query.MAX_REPLY_BYTES);
  }

  /** a page of summaries, oldest first: an operation started meanwhile comes on a later page */
  @MessagePattern(Query.Subject.opList)
  async opList(@Payload() p: Query.OpList): Promise<Query.OpListReply> {
    const ops = (await this.store.ops.values()).filter((o) => !p.vnf || o.vnf === p.vnf).map(Query.opSummary);
    ops.sort((a, b) => (Query.opCursor(a) < Query.opCursor(b) ? -1 : 1));
    const { items, next } = Query.page(ops, Query.opCursor, { cursor: p.cursor, limit: p.limit ?? Query.LIST_DEFAULT_LIMIT, budget: Query.MAX_REPLY_BYTES });
    return next !== undefined ? { ops: items, next } : { ops: items };
  }

  @MessagePattern(Query.Action.retry)
  retry(@Payload() p: Query.OpGet): Promise<Query.ActionReply> {
    return this.act(p.op, 'retrying', () => this.ops.retry(p.op));
  }

  @MessagePattern(Query.Action.rollback)
  rollback(@Payload() p: Query.OpGet): Promise<Query.ActionReply> {
    return this.act(p.op, 'rolling back', () => this.ops.rollback(p.op));
  }

  @MessagePattern(Query.Action.fail)
  fail(@Payload() p: Query.OpGet): Promise<Query.ActionReply> {
    return this.act(p.op, 'marked failed; the vnf is free', () => this.ops.fail(p.op));
  }

  @MessagePattern(Query.Action.cancel)
  cancel(@Payload() p: Query.OpCancel): Promise<Query.ActionReply> {
    const then = p.then ?? 'rollback';
    return this.act(p.op, `cancel requested; it stops at the next step, then ${then === 'rollback' ? 'rolls back' : 'fails'}`, () =>
      this.ops.cancel(p.op, then),
    );
  }

  private async act(op: string, message: string, fn: () => Promise<Records.OpRecord>): Promise<Query.ActionReply> {
    if (!/^[a-f0-9-]{1,64}$/.test(op)) throw rpcError('not_found', `unknown operation ${op}`);
    const r = await fn();
    return { op, state: r.state, message: `operation ${op}: ${message}` };
  }

  @MessagePattern(Query.Subject.opTrace)
  async opTrace(@Payload() p: Query.OpGet): Promise<Query.OpTraceReply> {
    const o = /^[a-f0-9-]{1,64}$/.test(p.op) ? await this.store.ops.get(p.op) : undefined;
    if (!o) throw rpcError('not_found', `unknown operation ${p.op}`);
    const entries = await this.trace.entries(p.op);
    const title = `${o.value.algorithm} ${o.value.vnf} ${p.op}`;
    const final = Records.FINAL_STATES.includes(o.value.state);
    return { op: p.op, wsd: Trace.render(entries, title), entries: entries.filter(Trace.isArrow).length, waiting: final ? [] : Trace.waiting(entries) };
  }
}
