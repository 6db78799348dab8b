import { Inject, Injectable } from '@nestjs/common';
import { Bus } from '@vnf-lcm/bus';
import { Events, Label, Participant, type Records, StepRef } from '@vnf-lcm/contracts';
import { operationState } from '../metrics.js';
import type { StepMeta } from './saga.js';

/**
 * The one publisher of an operation's events (vnf.evt.<vnf>.<op>) and of the arrows that open
 * and close it in its trace: the runner's changes of state and the saga's step notifications
 * reach whoever follows the operation through the same door.
 */
@Injectable()
export class OpEvents {
  constructor(@Inject(Bus) private readonly bus: Bus) {}

  /** `DevOps->AO: request ...` (or `VNFM->AO:`): drawn once the operation record exists */
  opened(r: Records.OpRecord, label: string): void {
    const from = r.requestedBy === 'VNFM' ? Participant.vnfm : Participant.devops;
    this.bus.arrow(Participant.ao, { op: r.id, label, step: StepRef.of(r.id, 'request') }, 'request', from);
  }

  /**
   * The operation changed state: an event for its followers, and the metrics. Not published
   * once-only: a state is news each time the operation reaches it (a retry runs it again).
   */
  state(r: Records.OpRecord): void {
    const e: Events.Event = { op: r.id, vnf: r.vnf, algorithm: r.algorithm, step: 'operation', state: r.state, ts: new Date().toISOString() };
    if (r.error) e.error = { err_code: r.error.err_code, description: r.error.description };
    this.bus.nc.publish(Events.subject(r.vnf, r.id), JSON.stringify(e));
    operationState(r);
  }

  /**
   * `AO->DevOps: notify` of a saga's step. A sender killed after publishing but before saving the
   * step publishes again once resumed: the id `once` makes JetStream keep one event and one arrow.
   */
  step(r: Records.OpRecord, once: string, step: string, meta: StepMeta, details?: Record<string, unknown>): void {
    const event: Events.Event = {
      op: r.id,
      vnf: r.vnf,
      algorithm: r.algorithm,
      step,
      ...meta,
      state: r.state,
      ts: new Date().toISOString(),
      ...(details ? { details } : {}),
    };
    const subject = Events.subject(r.vnf, r.id);
    this.bus.arrow(Participant.devops, { op: r.id, label: Label.notify, once, step: once, ...meta }, subject);
    this.bus.publishOnce(subject, event, once);
  }

  /**
   * The closing `AO->DevOps: notify` (and `AO->VNFM: notify` when the VNFM asked), stored before
   * the operation is final, so that its trace is whole once anyone sees it final; an orchestrator
   * resuming after a crash here draws them once.
   */
  async closing(r: Records.OpRecord): Promise<void> {
    const { id, vnf, requestedBy } = r;
    const step = StepRef.of(id, 'end');
    this.bus.arrow(Participant.devops, { op: id, label: Label.notify, once: `${step}/devops`, step }, Events.subject(vnf, id));
    if (requestedBy === 'VNFM') this.bus.arrow(Participant.vnfm, { op: id, label: Label.notify, once: `${step}/vnfm`, step }, Events.subject(vnf, id));
    await this.bus.settled();
  }
}
