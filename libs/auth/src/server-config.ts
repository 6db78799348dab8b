import type { Identity } from './identity.js';
import { writeSecret } from './files.js';
import type { TlsFiles } from './tls.js';

export interface ServerConfig {
  /** where to write the configuration (0600: it holds no secret, but says who is revoked) */
  file: string;
  host?: string;
  /** -1 for any free port (tests) */
  port?: number;
  monitorPort?: number;
  storeDir: string;
  /** cert and key of the server; without, clients connect in plain text */
  tls?: TlsFiles;
  /**
   * A WebSocket listener for browsers (the web console): loopback only and without TLS, since a
   * browser would not trust the CA made here (docs/adr/0019-web-console.md). Same identities and
   * permissions as the client port. Port -1 for any free port (tests).
   */
  websocket?: WebsocketListener;
  /** this server as one of a cluster's (docs/cluster.md); without, a server on its own */
  cluster?: ClusterRoutes;
}

/**
 * A server's place in a cluster. The routes carry no user authorization: nats-server 2.9 routes
 * accounts' traffic between servers it was told of, so they are for loopback or a private
 * network only (docs/cluster.md shows the TLS and authorization for routes between machines).
 */
export interface ClusterRoutes {
  /** the same in every server of the cluster */
  name: string;
  /** unique in the cluster: JetStream's replicas know their servers by it */
  serverName: string;
  /** host:port where this server listens for the others' routes */
  listen: string;
  /** every server's route URL (nats-route://host:port), its own included: nats-server skips that one */
  routes: string[];
}

export interface WebsocketListener {
  host: string;
  port: number;
  /**
   * `host` is a container's own address (0.0.0.0 in it), and Docker publishes the port on the
   * host's loopback only (docker-compose.yml): the one case where it need not be loopback here
   */
  publishedOnLoopback?: boolean;
}

/** A browser's listener must stay on this machine: its traffic is plain text. */
export class WebsocketConfigError extends Error {
  override name = 'WebsocketConfigError';
}

/**
 * nats-server's configuration in operator mode: the operator is trusted, the accounts preloaded
 * (resolver MEMORY: users minted later need no reload), anonymous clients refused. Written anew
 * whenever the account changes (a revocation), so that a restarted server refuses the same users.
 */
export async function writeServerConfig(id: Identity, c: ServerConfig): Promise<void> {
  const accounts = await id.accountJwts();
  const q = JSON.stringify;
  const lines = [
    `listen: ${q(`${c.host ?? '127.0.0.1'}:${c.port ?? 4222}`)}`,
    c.monitorPort !== undefined ? `http: ${q(`${c.host ?? '127.0.0.1'}:${c.monitorPort}`)}` : '',
    `jetstream { store_dir: ${q(c.storeDir)} }`,
    // a service's CONNECT carries its JWT, whose allow lists are longer than the default 4 KB line
    'max_control_line: 65536',
    `operator: ${q(id.operatorJwtFile)}`,
    `system_account: ${id.systemAccount}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${id.systemAccount}: ${q(accounts.system)}`,
    `  ${id.accountKey}: ${q(accounts.account)}`,
    '}',
    c.websocket ? websocketBlock(c.websocket) : '',
    c.cluster ? clusterBlock(c.cluster) : '',
    c.tls ? `tls { cert_file: ${q(c.tls.cert)}, key_file: ${q(c.tls.key)}, timeout: 10 }` : '',
  ];
  writeSecret(c.file, `${lines.filter(Boolean).join('\n')}\n`);
}

function clusterBlock(c: ClusterRoutes): string {
  const q = JSON.stringify;
  return [`server_name: ${q(c.serverName)}`, `cluster { name: ${q(c.name)}, listen: ${q(c.listen)}, routes: [${c.routes.map((r) => q(r)).join(', ')}] }`].join(
    '\n',
  );
}

function websocketBlock(w: WebsocketListener): string {
  if (!isLoopback(w.host) && !w.publishedOnLoopback)
    throw new WebsocketConfigError(`the WebSocket listener is plain text and must be on loopback (127.0.0.0/8), not ${w.host}`);
  return `websocket { host: ${JSON.stringify(w.host)}, port: ${w.port}, no_tls: true }`;
}

const isLoopback = (host: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
