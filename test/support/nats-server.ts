import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
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
  /** stop (SIGTERM, or kill -9) and start again on the same ports and store (for restart tests) */
  restart(signal?: NodeJS.Signals): Promise<void>;
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
    if (proc.exitCode === null) {
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
    restart: async (signal?: NodeJS.Signals) => {
      await stop(signal);
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
