import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { NATS } from '@vnf-lcm/bus';
import { Agent } from '@vnf-lcm/contracts';

/** The last heartbeat of every agent, as the VNFM hears them. */
@Injectable()
export class Heartbeats implements OnModuleInit, OnModuleDestroy {
  private readonly last = new Map<string, { at: number; beat: Agent.Heartbeat }>();
  private sub?: Subscription;
  private readonly gone = new Set<string>();

  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  onModuleInit() {
    this.sub = this.nc.subscribe(Agent.HEARTBEAT_ALL, {
      callback: (err, msg) => {
        if (err) return;
        // whose beat it is comes from the subject, which only that node's identity may publish
        // on; the body's `node` is the sender's word and is not taken
        const node = Agent.nodeOfHeartbeat(msg.subject);
        if (!node) return;
        try {
          const beat = msg.json<Agent.Heartbeat>();
          if (typeof beat?.app?.state !== 'string') return;
          this.last.set(node, { at: Date.now(), beat: { ...beat, node } });
        } catch {
          /* a malformed heartbeat is no heartbeat */
        }
      },
    });
  }

  onModuleDestroy() {
    this.sub?.unsubscribe();
  }

  lastSeen(node: string): string | undefined {
    const l = this.last.get(node);
    return l ? new Date(l.at).toISOString() : undefined;
  }

  get(node: string) {
    return this.last.get(node);
  }

  /** The node is gone on purpose (its application destroyed): it is not to be healed. */
  forget(node: string) {
    this.last.delete(node);
    this.gone.add(node);
  }

  forgotten(node: string): boolean {
    return this.gone.has(node);
  }
}
