import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { NATS } from '@vnf-lcm/bus';
import { Agent, Vim } from '@vnf-lcm/contracts';

/**
 * A beat from an agent this long after its host was said down is a new agent's (the node started
 * again in place): the host is up again. A dead agent's last beat left before its death was seen.
 */
const UP_AGAIN_MS = 250;

/**
 * What the VNFM hears of its nodes: the last heartbeat of every agent, and the hosts the VIM said
 * died (`vnf.vim.host-down.<node>`: the agent or the container gone, known within milliseconds
 * where missed heartbeats take FAILURE_MS). News that needs acting on at once (a host down, an
 * application that just failed or turned unhealthy) is passed to `onAlarm`.
 */
@Injectable()
export class Heartbeats implements OnModuleInit, OnModuleDestroy {
  /** `failingSince`: the first of the beats in a row that said the application failed or is unhealthy */
  private readonly last = new Map<string, { at: number; beat: Agent.Heartbeat; failingSince?: number }>();
  private sub?: Subscription;
  private downSub?: Subscription;
  private readonly gone = new Set<string>();
  private readonly downs = new Map<string, { at: number; reason: string }>();
  /** the watcher's: look at this node now */
  onAlarm?: (node: string) => void;
  /** the cluster service's: this node's agent is up (it may have missed a reconfiguration) */
  onBeat?: (node: string) => void;

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
          const now = Date.now();
          const prev = this.last.get(node);
          const before = prev?.beat.app;
          const down = this.downs.get(node);
          if (down && now - down.at > UP_AGAIN_MS) this.downs.delete(node);
          // sent at once by the agent when its application failed: acted on at once
          const failing = beat.app.state === 'failed' || beat.app.healthy === false;
          const was = before?.state === 'failed' || before?.healthy === false;
          this.last.set(node, { at: now, beat: { ...beat, node }, failingSince: failing ? (was && prev?.failingSince) || now : undefined });
          if (failing && !was) this.onAlarm?.(node);
          this.onBeat?.(node);
        } catch {
          /* a malformed heartbeat is no heartbeat */
        }
      },
    });
    this.downSub = this.nc.subscribe(Vim.HOST_DOWN_ALL, {
      callback: (err, msg) => {
        if (err) return;
        // the node from the subject, which only the VIM adapter may publish on; never the body's
        const node = Vim.nodeOfHostDown(msg.subject);
        if (!node) return;
        let reason = 'host down';
        try {
          const r = msg.json<Partial<Vim.HostDown>>()?.reason;
          if (typeof r === 'string' && r) reason = `host down: ${r.slice(0, 150)}`;
        } catch {
          /* the subject is the news; the reason is a courtesy */
        }
        if (this.downs.has(node)) return;
        this.downs.set(node, { at: Date.now(), reason });
        this.onAlarm?.(node);
      },
    });
  }

  onModuleDestroy() {
    this.sub?.unsubscribe();
    this.downSub?.unsubscribe();
  }

  lastSeen(node: string): string | undefined {
    const l = this.last.get(node);
    return l ? new Date(l.at).toISOString() : undefined;
  }

  /** the last heartbeat's time and the application's state in it (for vnf.ao.node-health) */
  seen(node: string): { lastSeen?: string; app?: { state: string; healthy?: boolean } } {
    const l = this.last.get(node);
    if (!l) return {};
    const { state, healthy } = l.beat.app;
    return { lastSeen: new Date(l.at).toISOString(), app: { state, ...(typeof healthy === 'boolean' ? { healthy } : {}) } };
  }

  get(node: string) {
    return this.last.get(node);
  }

  /** why (and when) the VIM said the node's host died, until a new agent there beats */
  down(node: string): { at: number; reason: string } | undefined {
    return this.downs.get(node);
  }

  /** the host-down of this node was acted on: from now on its heartbeats tell */
  settleDown(node: string) {
    this.downs.delete(node);
  }

  /** marks of hosts down that are no node's any more (healed, removed): kept for a while only */
  prune(known: Set<string>, olderThanMs = 60_000) {
    const now = Date.now();
    for (const [node, d] of this.downs) if (!known.has(node) && now - d.at > olderThanMs) this.downs.delete(node);
  }

  /** The node is gone on purpose (its application destroyed): it is not to be healed. */
  forget(node: string) {
    this.last.delete(node);
    this.downs.delete(node);
    this.gone.add(node);
  }

  forgotten(node: string): boolean {
    return this.gone.has(node);
  }
}
