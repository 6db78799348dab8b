import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TOKEN_RE } from '@vnf-lcm/contracts/common';

/** What the VIM tells the agent about its virtual host. Read once, at module load, because
 * the message patterns are built from the node id. */
export interface AgentEnv {
  node: string;
  address: string;
  workdir: string;
  heartbeatMs: number;
}

function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function fatal(message: string): never {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'vnf-agent', msg: message })}\n`);
  process.exit(2);
}

function readEnv(): AgentEnv {
  const fromEnv = process.env.VNF_NODE;
  const fromArg = argValue('node');
  if (fromEnv && fromArg && fromEnv !== fromArg) fatal(`VNF_NODE=${fromEnv} and --node=${fromArg} disagree`);
  const node = fromEnv || fromArg;
  if (!node || !TOKEN_RE.test(node)) fatal('VNF_NODE (or --node=<id>) must be a lowercase subject token');
  const heartbeatMs = Number(process.env.VNF_HEARTBEAT_MS || 250);
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 10) fatal('VNF_HEARTBEAT_MS must be a number of milliseconds >= 10');
  return {
    node,
    address: process.env.VNF_ADDRESS || '127.0.0.1',
    workdir: resolve(process.env.VNF_WORKDIR || join(tmpdir(), `vnf-agent-${node}`)),
    heartbeatMs,
  };
}

export const ENV: AgentEnv = readEnv();
