import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Access, errorBody } from '@vnf-lcm/contracts';
import { agentOf } from './agents.js';
import type { Identity } from './identity.js';

export interface RevokeRequest {
  /** the removed node's user JWT, as the VIM minted it */
  jwt: string;
}
export interface RevokeReply {
  node: string;
  user: string;
  revoked: true;
}

/** Someone who wants to hear about what the keeper did (pino's object-first call fits). */
type Log = (o: Record<string, unknown>, msg: string) => void;

/**
 * Holds the operator's key and revokes removed nodes: the VIM adapter asks on
 * `vnf.auth.node-revoke` (no one else may), the keeper checks that the JWT is an agent's, adds it
 * to the account's revocations, signs the account anew and hands it to the server through the
 * system account; the server drops the node's connection and refuses it from then on.
 * `persist` rewrites the server's configuration, so that a restarted server still refuses it.
 */
export class Keeper {
  private sub?: Subscription;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly id: Identity,
    private readonly nc: NatsConnection,
    private readonly system: NatsConnection,
    private readonly persist: () => Promise<void>,
    private readonly log: Log = () => undefined,
  ) {}

  start(): this {
    this.sub = this.nc.subscribe(Access.REVOKE_SUBJECT, {
      queue: 'keeper',
      callback: (_err, msg) => {
        // one revocation at a time: each signs the account with every revocation before it
        this.queue = this.queue.then(async () => {
          const reply = await this.revoke(msg.data).catch((err: Error) => ({ error: errorBody('internal', err.message) }));
          if (msg.reply) msg.respond(JSON.stringify(reply));
        });
      },
    });
    return this;
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  private async revoke(data: Uint8Array): Promise<RevokeReply | { error: ReturnType<typeof errorBody> }> {
    let body: Partial<RevokeRequest>;
    try {
      body = JSON.parse(new TextDecoder().decode(data));
    } catch {
      return { error: errorBody('invalid_json', 'body is not json') };
    }
    const agent = typeof body.jwt === 'string' ? await agentOf(body.jwt, this.id.agentSignerKey, this.id.accountKey) : undefined;
    if (!agent) return { error: errorBody('invalid_request', 'jwt is not a node identity of this installation') };
    this.id.revoke([agent.user]);
    await this.push();
    await this.persist();
    this.log({ node: agent.node, user: agent.user }, 'node identity revoked');
    return { node: agent.node, user: agent.user, revoked: true };
  }

  /** Hands the server the account as signed now; it applies it at once to every connection. */
  private async push(): Promise<void> {
    const { account } = await this.id.accountJwts();
    const m = await this.system.request(`$SYS.REQ.ACCOUNT.${this.id.accountKey}.CLAIMS.UPDATE`, account, { timeout: 5000 });
    const r = m.json<{ data?: { code?: number; message?: string }; error?: { description?: string } }>();
    if (r.data?.code !== 200) throw new Error(`server did not take the account update: ${r.error?.description ?? r.data?.message ?? 'no reason'}`);
  }
}
