import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Access } from '@vnf-lcm/contracts';
import { natsAuthOptions, RECONNECTING } from './client.js';
import { Identity } from './identity.js';
import { Keeper } from './keeper.js';
import { writeServerConfig, type ServerConfig } from './server-config.js';
import { ensureTls, type TlsFiles } from './tls.js';

export interface InstallationOptions extends Omit<ServerConfig, 'file' | 'tls' | 'cluster'> {
  /** true: a CA and certificate made here; files: the operator's own; false: plain text */
  tls: boolean | TlsFiles;
  /**
   * A cluster of servers on this machine (tests, the launcher's --cluster): one configuration
   * each (nats-<name>.conf), same identities and TLS, its own ports and store. `port`,
   * `monitorPort` and `storeDir` above are then the first server's.
   */
  cluster?: { name: string; servers: ClusterMember[] };
}

/** one server of a cluster on this machine */
export interface ClusterMember {
  name: string;
  port: number;
  monitorPort?: number;
  /** where it listens for the others' routes */
  routePort: number;
  storeDir: string;
}

/**
 * One vnf-lcm's security set-up in a data folder: identities (identity/), TLS (tls/), and the
 * server's configuration (nats.conf). What the launcher and the tests' System both start from.
 */
export class Installation {
  /** the first server's configuration: the only one, unless a cluster */
  readonly configFile: string;
  /** one per server (a cluster's in the order given) */
  readonly configFiles: string[];

  private constructor(
    readonly id: Identity,
    readonly tls: TlsFiles | undefined,
    private readonly servers: ServerConfig[],
  ) {
    this.configFiles = servers.map((s) => s.file);
    this.configFile = this.configFiles[0];
  }

  static async prepare(dir: string, o: InstallationOptions): Promise<Installation> {
    // searchable (not listable) by agents on their way to the CA certificate; identity/ stays 0700
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    const id = await Identity.open(join(dir, 'identity'));
    const tls = o.tls === true ? ensureTls(join(dir, 'tls')) : o.tls || undefined;
    const { cluster, ...common } = o;
    const host = o.host ?? '127.0.0.1';
    const servers: ServerConfig[] = cluster
      ? cluster.servers.map((m) => ({
          ...common,
          port: m.port,
          monitorPort: m.monitorPort,
          storeDir: m.storeDir,
          file: join(dir, `nats-${m.name}.conf`),
          tls,
          cluster: {
            name: cluster.name,
            serverName: m.name,
            listen: `${host}:${m.routePort}`,
            routes: cluster.servers.map((r) => `nats-route://${host}:${r.routePort}`),
          },
        }))
      : [{ ...common, file: join(dir, 'nats.conf'), tls }];
    for (const s of servers) await writeServerConfig(id, s);
    return new Installation(id, tls, servers);
  }

  /** Rewrites every server's configuration with the account as it is now (after a revocation). */
  async rewrite(): Promise<void> {
    for (const s of this.servers) await writeServerConfig(this.id, s);
  }

  /** The environment that gives a service (or vnfctl) its identity and the server's CA. */
  env(role: Access.Role): Record<string, string> {
    const e: Record<string, string> = { NATS_CREDS: this.id.credsFile(role) };
    if (this.tls) e.NATS_TLS_CA = this.tls.ca;
    if (role === Access.Role.vimAdapter) e.VIM_AGENT_SIGNER = this.id.agentSignerFile();
    return e;
  }

  /** A connection as `role` (or as the system account's user, for the keeper). */
  connect(url: string, name: string, as: Access.Role | 'system', extra: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
    return connect({ servers: url.split(','), name, ...natsAuthOptions({ creds: this.id.credsFile(as), tlsCa: this.tls?.ca }), ...extra });
  }

  /** The keeper on its own two connections (admin for requests, system for account updates). */
  async startKeeper(url: string, log?: (o: Record<string, unknown>, msg: string) => void): Promise<{ keeper: Keeper; close(): Promise<void> }> {
    // as the services reconnect: its dial timeout was nats.js's 20 s, and after a server restart
    // a dial stuck that long left removals without a keeper (test/keeper-wait.test.ts)
    const admin = await this.connect(url, 'vnf-lcm-keeper', Access.Role.admin, RECONNECTING);
    const system = await this.connect(url, 'vnf-lcm-keeper-sys', 'system', RECONNECTING);
    const keeper = new Keeper(this.id, admin, system, () => this.rewrite(), log).start();
    await admin.flush();
    return {
      keeper,
      close: async () => {
        keeper.stop();
        await Promise.all([admin.close(), system.close()]).catch(() => undefined);
      },
    };
  }
}
