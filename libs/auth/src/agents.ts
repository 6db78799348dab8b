import { readFileSync } from 'node:fs';
import * as jwt from '@nats-io/jwt';
import { Prefix } from '@nats-io/nkeys';
import { Access } from '@vnf-lcm/contracts';
import { NativeKeyPair, verifyWith } from './native-keys.js';

/** A node's identity: its credentials (for the agent only) and its public key (to revoke it). */
export interface NodeIdentity {
  node: string;
  user: string;
  jwt: string;
  creds: Uint8Array;
}

/**
 * What the VIM adapter mints agents with: the account's scoped signing key. A user it signs gets
 * the key's template, which the server fills with the user's name: the node id. So even this key
 * can only make identities that speak for one node each (the access table's `agent` row).
 */
export class AgentMinter {
  private constructor(
    private readonly signer: NativeKeyPair,
    readonly account: string,
  ) {}

  /** the file the launcher writes (`Identity.agentSignerFile`), named by VIM_AGENT_SIGNER */
  static fromFile(file: string): AgentMinter {
    let parsed: { account?: unknown; seed?: unknown };
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read agent signing key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (typeof parsed.account !== 'string' || typeof parsed.seed !== 'string') throw new Error(`agent signing key ${file} lacks account or seed`);
    return new AgentMinter(NativeKeyPair.fromSeed(new TextEncoder().encode(parsed.seed)), parsed.account);
  }

  async mint(node: string): Promise<NodeIdentity> {
    const user = NativeKeyPair.create(Prefix.User);
    const token = await jwt.encodeUser(node, user, this.signer, { issuer_account: this.account, tags: [`role:${Access.Role.agent}`] }, { scopedUser: true });
    return { node, user: user.getPublicKey(), jwt: token, creds: jwt.fmtCreds(token, user) };
  }

  get signerKey(): string {
    return this.signer.getPublicKey();
  }
}

/**
 * The node a user JWT speaks for, if the agents' signing key `signer` issued it for `account`,
 * and its signature holds: the keeper revokes nothing else on the VIM's word.
 */
export async function agentOf(token: string, signer: string, account: string): Promise<{ node: string; user: string } | undefined> {
  let claims: jwt.ClaimsData<jwt.User>;
  try {
    claims = jwt.decode<jwt.User>(token);
  } catch {
    return undefined;
  }
  if (claims.iss !== signer || claims.nats?.issuer_account !== account || !claims.sub?.startsWith('U')) return undefined;
  if (!(await verify(token, signer))) return undefined;
  return { node: claims.name, user: claims.sub };
}

async function verify(token: string, signer: string): Promise<boolean> {
  const [h, p, sig] = token.split('.');
  if (!sig) return false;
  return verifyWith(signer, new TextEncoder().encode(`${h}.${p}`), Buffer.from(sig, 'base64url'));
}
