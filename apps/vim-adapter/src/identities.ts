import { errors, type NatsConnection } from '@nats-io/transport-node';
import { AgentMinter, type NodeIdentity } from '@vnf-lcm/auth';
import { rpcError, type Logger } from '@vnf-lcm/bus';
import { Access, isErrorReply } from '@vnf-lcm/contracts';
import { ConfigError } from './config.js';

const REVOKE_TIMEOUT_MS = 5_000;
/**
 * How long a revocation waits for the keeper to be there (it may be reconnecting after a NATS
 * restart, or restarting itself) before the removal fails `unavailable`: within the AO's wait for a
 * removal (STEP_TIMEOUT_MS.removeHost, 35 s), so that one attempt of the step rides it out.
 */
const KEEPER_WAIT_MS = 30_000;
const KEEPER_RETRY_MS = 250;

/**
 * Each node's own NATS identity: minted when its agent is started (allowed only that node's
 * subjects), revoked when its host is removed or its agent replaced. Off when the VIM has no
 * signing key (VIM_AGENT_SIGNER unset: a server without authentication).
 */
export class NodeIdentities {
  private constructor(
    private readonly minter: AgentMinter | undefined,
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  static fromEnv(nc: NatsConnection, log: Logger, env: NodeJS.ProcessEnv = process.env): NodeIdentities {
    const file = env.VIM_AGENT_SIGNER;
    if (!file) return new NodeIdentities(undefined, nc, log);
    try {
      return new NodeIdentities(AgentMinter.fromFile(file), nc, log);
    } catch (err) {
      throw new ConfigError(`VIM_AGENT_SIGNER: ${(err as Error).message}`);
    }
  }

  /** At start-up, before connecting: a signing key named but unusable stops the adapter. */
  static check(env: NodeJS.ProcessEnv = process.env): void {
    if (!env.VIM_AGENT_SIGNER) return;
    try {
      AgentMinter.fromFile(env.VIM_AGENT_SIGNER);
    } catch (err) {
      throw new ConfigError(`VIM_AGENT_SIGNER: ${(err as Error).message}`);
    }
  }

  get enabled(): boolean {
    return this.minter !== undefined;
  }

  mint(node: string): Promise<NodeIdentity | undefined> {
    return this.minter ? this.minter.mint(node) : Promise.resolve(undefined);
  }

  /** Fails `unavailable` when the keeper does not confirm: a removal is not done until then. */
  async revoke(jwt: string, node: string): Promise<void> {
    let reply: unknown;
    let waited = false;
    for (const until = Date.now() + KEEPER_WAIT_MS; ; ) {
      try {
        reply = (await this.nc.request(Access.REVOKE_SUBJECT, JSON.stringify({ jwt }), { timeout: REVOKE_TIMEOUT_MS })).json();
        break;
      } catch (err) {
        // no keeper subscribed right now (seen after a NATS restart): wait for it, a while
        const away = err instanceof errors.RequestError && err.isNoResponders();
        if (!away || Date.now() >= until) throw rpcError('unavailable', `could not revoke the identity of node ${node}: ${(err as Error).message}`, { node });
        if (!waited) this.log.warn({ node }, 'no keeper to revoke the node identity: waiting for it');
        waited = true;
        await new Promise((r) => setTimeout(r, KEEPER_RETRY_MS));
      }
    }
    if (isErrorReply(reply)) {
      // minted for another installation (a data folder from another server): it connects to
      // nothing here, so there is nothing to revoke
      if (reply.error.err_code === 'invalid_request') return this.log.warn({ node }, 'identity is not of this installation: nothing to revoke');
      throw rpcError('unavailable', `could not revoke the identity of node ${node}: ${reply.error.description}`, { node });
    }
    this.log.info({ node }, 'node identity revoked');
  }
}
