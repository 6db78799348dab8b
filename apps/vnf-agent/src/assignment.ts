import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { caContext, caContextOf, readCredsInput, type ClientAuth } from '@vnf-lcm/auth/client';
import { DEFAULT_NATS_URL } from '@vnf-lcm/bus/wire';
import { agentTitle, CA_PEM_ENV, Spare, type SpareAssignment } from '@vnf-lcm/contracts/agent';
import { TOKEN_RE } from '@vnf-lcm/contracts/common';

/** What the agent's parts know of its virtual host. */
export interface AgentEnv {
  node: string;
  address: string;
  workdir: string;
  heartbeatMs: number;
}

/**
 * Everything an agent starts with, read in one place before anything else runs: the message
 * patterns are built from the node id. A cold agent reads it from its environment, command line
 * and stdin (its credentials), a spare from the one message on its stdin (ADR 27).
 */
export interface Assignment extends AgentEnv {
  natsUrl: string;
  /** its identity and the CA, in memory: nothing is read from a file at connect */
  auth: ClientAuth;
  /** started as a spare and assigned later */
  warm: boolean;
}

function fatal(message: string): never {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'vnf-agent', msg: message })}\n`);
  process.exit(2);
}

const argValue = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/**
 * What does not depend on the node, made before the node is known: the CA's secure context
 * (node:tls itself is loaded with the NATS client). A spare makes it while it waits.
 */
function prepareTls(): Pick<ClientAuth, 'tlsCa' | 'secureContext'> {
  const tlsCa = process.env.NATS_TLS_CA;
  const pem = process.env[CA_PEM_ENV];
  try {
    // a container's agent has the CA itself in its environment (ADR 36), any other a file
    if (pem) return { secureContext: caContextOf(pem) };
    return tlsCa ? { tlsCa, secureContext: caContext(tlsCa) } : {};
  } catch (err) {
    fatal(pem ? `${CA_PEM_ENV}: ${(err as Error).message}` : (err as Error).message);
  }
}

/** The parameters as they are in the environment (a spare's once its assignment set them there). */
function fromEnv(credsText: string | undefined, tls: ClientAuth, warm: boolean): Assignment {
  const env = process.env;
  const fromArg = argValue('node');
  if (env.VNF_NODE && fromArg && env.VNF_NODE !== fromArg) fatal(`VNF_NODE=${env.VNF_NODE} and --node=${fromArg} disagree`);
  const node = env.VNF_NODE || fromArg;
  if (!node || !TOKEN_RE.test(node)) fatal('VNF_NODE (or --node=<id>) must be a lowercase subject token');
  const heartbeatMs = Number(env.VNF_HEARTBEAT_MS || 250);
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 10) fatal('VNF_HEARTBEAT_MS must be a number of milliseconds >= 10');
  return {
    node,
    address: env.VNF_ADDRESS || '127.0.0.1',
    workdir: resolve(env.VNF_WORKDIR || join(tmpdir(), `vnf-agent-${node}`)),
    heartbeatMs,
    natsUrl: env.NATS_URL || DEFAULT_NATS_URL,
    auth: { ...tls, credsText },
    warm,
  };
}

/** A cold agent's credentials: the file NATS_CREDS names, `-` for stdin (the VIM's pipe). */
function coldCreds(): string | undefined {
  const path = process.env.NATS_CREDS;
  if (!path) return undefined;
  try {
    // fd 0, not /dev/stdin, which another user cannot open again when the pipe is root's; up to
    // the seed block's end, as a container's input stays open
    return path === '-' ? new TextDecoder().decode(readCredsInput(0)) : readFileSync(path, 'utf8');
  } catch (err) {
    fatal(`cannot read credentials file (NATS_CREDS) ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A spare's output goes to the host's log from now on, as a cold agent's stdout and stderr do. */
function redirectOutput(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (err) {
    fatal(`cannot open the agent log ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const write = ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
    if (typeof chunk === 'string') writeSync(fd, chunk);
    else writeSync(fd, chunk);
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = write;
  process.stderr.write = write;
  // Node.js prints an uncaught error itself, to the fd 2 it started with (the zone's spare log)
  process.on('uncaughtExceptionMonitor', (err) => write(`${JSON.stringify({ level: 'fatal', service: 'vnf-agent', msg: `uncaught: ${err.stack ?? err}` })}\n`));
}

/** Tells the driver this spare is ready (the fd it gave for that, if any), then waits for its node. */
function awaitAssignment(): SpareAssignment {
  const readyFd = Number(process.env.VNF_SPARE_READY_FD);
  delete process.env.VNF_SPARE_READY_FD;
  if (Number.isInteger(readyFd) && readyFd > 2) {
    try {
      writeSync(readyFd, 'ready\n');
      closeSync(readyFd);
    } catch {
      /* the driver stopped listening: it needs no word */
    }
  }
  // blocking: nothing else is to run until the node is known, and a signal kills at once
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch {
    text = '';
  }
  // stdin closed without a word: the VIM adapter is gone, or has no more use for this spare
  if (text.trim() === '') process.exit(0);
  let a: Partial<SpareAssignment>;
  try {
    a = JSON.parse(text);
  } catch {
    fatal('the assignment is not json');
  }
  if (typeof a?.log !== 'string') fatal('the assignment names no log file');
  redirectOutput(a.log);
  const env = a.env ?? {};
  for (const [k, v] of Object.entries(env)) {
    if (!(Spare.env as readonly string[]).includes(k) || typeof v !== 'string') fatal(`the assignment may not set ${k}`);
    process.env[k] = v;
  }
  if (a.creds !== undefined && typeof a.creds !== 'string') fatal('the assignment has malformed credentials');
  return a as SpareAssignment;
}

/** Where a spare takes the place a cold agent is started in: its folder, its command line. */
function takePlace(a: Assignment): void {
  try {
    process.chdir(a.workdir);
  } catch (err) {
    fatal(`cannot enter ${a.workdir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // what ps, the driver and operators look for: the node in the agent's command line
  process.title = agentTitle(process.execPath, process.argv[1], a.node, process.execArgv);
}

/** The agent's start-up parameters, from its environment, or as a spare from its assignment. */
export function readAssignment(): Assignment {
  // cold: the credentials first, then the CA; a docker host's CA file is written while its
  // agent starts, and before the VIM writes the credentials to its stdin
  if (!process.argv.includes(Spare.flag)) {
    const creds = coldCreds();
    return fromEnv(creds, prepareTls(), false);
  }
  const tls = prepareTls();
  const spare = awaitAssignment();
  const a = fromEnv(spare.creds, tls, true);
  takePlace(a);
  return a;
}
