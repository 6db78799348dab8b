import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real nats-server with JetStream on a random loopback port, as nats.js's own tests start it. */
export interface NatsServer {
  url: string;
  monitor: string;
  /** the WebSocket listener's URL, when the configuration has one (a new port after restart()) */
  websocket?: string;
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  /**
   * stop (SIGTERM, or kill -9) and start again on the same ports and store (for restart tests);
   * `between` runs while the server is down, its port free
   */
  restart(signal?: NodeJS.Signals, between?: () => Promise<void>): Promise<void>;
}

export function natsServerBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('nats-server is not on PATH: install it (apt-get install nats-server) to run the integration tests');
  }
}

/**
 * `config`: a configuration file (operator mode, TLS) read on every start, restarts included; the
 * address, ports and store given here on the command line win over its own.
 */
export async function startNatsServer(dir = mkdtempSync(join(tmpdir(), 'vnf-nats-')), o: { config?: string } = {}): Promise<NatsServer> {
  const bin = natsServerBinary();
  // a configuration names its own store (nats-server refuses a second one on the command line)
  const store = o.config ? ['-c', o.config] : ['-js', '-sd', join(dir, 'js')];
  const launch = (port: string, mport: string) =>
    spawn(bin, [...store, '-a', '127.0.0.1', '-p', port, '-m', mport, '--ports_file_dir', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  let proc = launch('-1', '-1');
  const ports = await waitForPorts(dir, proc);
  const url = ports.nats[0];
  const monitor = ports.monitoring[0];
  const port = new URL(url).port;
  const mport = new URL(monitor).port;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    // a server killed by a signal has no exit code but is gone all the same
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    }
  };
  return {
    url,
    monitor,
    websocket: ports.websocket?.[0],
    dir,
    get proc() {
      return proc;
    },
    stop: async () => {
      await stop();
      if (!process.env.VNF_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    },
    restart: async (signal?: NodeJS.Signals, between?: () => Promise<void>) => {
      await stop(signal);
      await between?.();
      proc = launch(port, mport);
      await waitForPorts(dir, proc);
    },
  };
}

async function waitForPorts(dir: string, proc: ChildProcess): Promise<{ nats: string[]; monitoring: string[]; websocket?: string[] }> {
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const file = () => join(dir, `nats-server_${proc.pid}.ports`);
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
    if (existsSync(file())) {
      try {
        return JSON.parse(readFileSync(file(), 'utf8'));
      } catch {
        /* being written */
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not start: ${stderr}`);
}

/**
 * Free TCP ports on 127.0.0.1, found by binding port 0: a cluster's route ports must be known
 * before its servers start, since each names all three in its routes (-1 cannot do that).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((ok, fail) => {
          const s = createServer();
          s.once('error', fail);
          s.listen(0, '127.0.0.1', () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Three (or more) servers routed to each other, each started from its own configuration (which
 * names its route port and store), each on its own client and monitoring ports.
 */
export interface NatsCluster {
  servers: NatsServer[];
  /** every server's client URL, comma-separated, as NATS_URL takes them */
  url: string;
  stop(): Promise<void>;
}

export async function startNatsCluster(dirs: string[], configs: string[]): Promise<NatsCluster> {
  const servers = await Promise.all(configs.map((config, i) => startNatsServer(dirs[i], { config })));
  await waitJetStreamCluster(servers);
  return {
    servers,
    url: servers.map((s) => s.url).join(','),
    stop: async () => void (await Promise.all(servers.map((s) => s.stop()))),
  };
}

/**
 * Until every live server sees the same JetStream meta leader: before that, a service creating
 * its streams is told JetStream is unavailable. Also after a server was killed (a new leader).
 */
export async function waitJetStreamCluster(servers: NatsServer[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = servers.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
    const leaders = await Promise.all(
      live.map((s) =>
        fetch(`${s.monitor}/jsz`)
          .then((r) => r.json() as Promise<{ meta_cluster?: { leader?: string } }>)
          .then(
            (j) => j.meta_cluster?.leader ?? '',
            () => '',
          ),
      ),
    );
    if (leaders.length && leaders[0] && leaders.every((l) => l === leaders[0])) return;
    if (Date.now() > deadline) throw new Error(`no JetStream meta leader agreed on: ${JSON.stringify(leaders)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
