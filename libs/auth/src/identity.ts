import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jwt from '@nats-io/jwt';
import { Prefix } from '@nats-io/nkeys';
import { NativeKeyPair } from './native-keys.js';
import { Access } from '@vnf-lcm/contracts';
import { readText, writePublic, writeSecret } from './files.js';
import { permissionsOf } from './permissions.js';

/** Everything an account needs to use JetStream and have as many connections as it likes. */
const UNLIMITED = { subs: -1, conn: -1, leaf: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true } as const;
const JETSTREAM = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } as const;

/** The identities the launcher makes for the services and the people; agents get theirs from the VIM. */
export const SERVICE_USERS = [Access.Role.orchestrator, Access.Role.vnfm, Access.Role.vimAdapter] as const;
export const PEOPLE_USERS = [Access.Role.devops, Access.Role.observer, Access.Role.admin] as const;

const F = {
  operator: 'operator.nk',
  operatorJwt: 'operator.jwt',
  system: 'system.nk',
  account: 'account.nk',
  agentSigner: 'agent-signer.nk',
  revocations: 'revocations.json',
  creds: (name: string) => join('creds', `${name}.creds`),
} as const;

/**
 * NATS decentralised authentication for one vnf-lcm: an operator, a system account (connection
 * events, account updates) and the `VNF` account every service, agent and person connects to. The
 * account key signs the fixed users; a scoped signing key, whose template limits any user it signs
 * to one node's subjects, is all the VIM adapter holds to mint agents. The folder holds the keys
 * (0600); `--fresh` removes it with the rest of the data, and new keys are made.
 */
export class Identity {
  private constructor(
    readonly dir: string,
    private readonly operator: NativeKeyPair,
    private readonly system: NativeKeyPair,
    private readonly account: NativeKeyPair,
    private readonly agentSigner: NativeKeyPair,
  ) {}

  /** Loads the identity kept in `dir`, making it first when there is none. */
  static async open(dir: string): Promise<Identity> {
    const key = (file: string, make: () => NativeKeyPair) => {
      const path = join(dir, file);
      if (existsSync(path)) return NativeKeyPair.fromSeed(new TextEncoder().encode(readText(path)));
      const kp = make();
      writeSecret(path, new TextDecoder().decode(kp.getSeed()));
      return kp;
    };
    const id = new Identity(
      dir,
      key(F.operator, () => NativeKeyPair.create(Prefix.Operator)),
      key(F.system, () => NativeKeyPair.create(Prefix.Account)),
      key(F.account, () => NativeKeyPair.create(Prefix.Account)),
      key(F.agentSigner, () => NativeKeyPair.create(Prefix.Account)),
    );
    writePublic(join(dir, F.operatorJwt), await jwt.encodeOperator('vnf-lcm', id.operator, { system_account: id.systemAccount }));
    for (const role of [...SERVICE_USERS, ...PEOPLE_USERS]) if (!existsSync(id.credsFile(role))) await id.writeUser(role, role);
    if (!existsSync(id.credsFile('system'))) writeSecret(id.credsFile('system'), await id.systemUserCreds());
    return id;
  }

  get systemAccount(): string {
    return this.system.getPublicKey();
  }

  get accountKey(): string {
    return this.account.getPublicKey();
  }

  /** the public key of the agents' scoped signing key: who issued a node's identity */
  get agentSignerKey(): string {
    return this.agentSigner.getPublicKey();
  }

  get operatorJwtFile(): string {
    return join(this.dir, F.operatorJwt);
  }

  credsFile(name: string): string {
    return join(this.dir, F.creds(name));
  }

  /** The seed of the agents' scoped signing key and the account it signs for: what the VIM adapter gets. */
  agentSignerFile(): string {
    const file = join(this.dir, 'agent-signer.json');
    if (!existsSync(file)) writeSecret(file, `${JSON.stringify({ account: this.accountKey, seed: new TextDecoder().decode(this.agentSigner.getSeed()) })}\n`);
    return file;
  }

  /** A user of `role` named `name`, its credentials written to creds/<name>.creds (0600). */
  async writeUser(name: string, role: Access.Role): Promise<string> {
    if (role === Access.Role.agent) throw new Error('agents are minted by the VIM adapter');
    const user = NativeKeyPair.create(Prefix.User);
    const token = await jwt.encodeUser(name, user, this.account, { ...permissionsOf(role), tags: [`role:${role}`] });
    const file = this.credsFile(name);
    writeSecret(file, jwt.fmtCreds(token, user));
    return file;
  }

  private async systemUserCreds(): Promise<Uint8Array> {
    const user = NativeKeyPair.create(Prefix.User);
    return jwt.fmtCreds(await jwt.encodeUser('system', user, this.system), user);
  }

  /** Users revoked so far (public key -> revoked-at, epoch seconds): removed nodes. */
  revocations(): Record<string, number> {
    const file = join(this.dir, F.revocations);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
  }

  /** Adds users to the revocation list (kept on disk: a restarted server must still refuse them). */
  revoke(users: string[], at = Math.floor(Date.now() / 1000)): void {
    const all = { ...this.revocations() };
    for (const u of users) all[u] = at;
    writeSecret(join(this.dir, F.revocations), `${JSON.stringify(all, null, 1)}\n`);
  }

  /** The account JWTs the server preloads, signed now, with the current revocations. */
  async accountJwts(): Promise<{ system: string; account: string }> {
    const scoped = jwt.newScopedSigner(this.agentSigner, Access.Role.agent, permissionsOf(Access.Role.agent));
    return {
      system: await jwt.encodeAccount('SYS', this.system, { limits: UNLIMITED }, { signer: this.operator }),
      account: await jwt.encodeAccount(
        'VNF',
        this.account,
        { limits: { ...UNLIMITED, ...JETSTREAM }, signing_keys: [scoped], revocations: this.revocations() },
        { signer: this.operator },
      ),
    };
  }
}
