// What one node's agent costs: spawn -> hello, and its memory, against the floors of the same run.
//
//   npm run build && npm run bench:agent -- [--agents 20] [--runs 5] [--open] [--out bench/results/agent.json]
//
// Each run starts its own nats-server (secured as the launcher secures it, unless --open: operator
// mode, TLS, a node identity minted per start and handed over on stdin) and then, one kind after
// the other, N processes started as the VIM starts an agent, each waited for before the next:
//   node     `node` running an empty timer: the process alone (no NATS), start = spawn -> its first line
//   floor    bench/lib/hello-floor.mjs bundled as the agent is: connect, subscribe, hello, heartbeat
//   agent    the vnf-agent as the VIM starts it (apps/vnf-agent/dist/agent.cjs: the bundle and its
//            code cache, ADR 30), started cold
//   warm     the same bundle started as the VIM's spare (ADR 27): spawned and ready (its code,
//            node:tls, the CA's context loaded) before the clock starts; start = its assignment
//            written to its stdin -> hello: what a host start costs when the zone has a spare
// With all N of a kind running and idle for a second, each one's resident set (VmRSS) and
// proportional set (Pss: pages shared with the other N, the node binary's above all, divided
// among them, i.e. what each adds to the machine's memory) are read from /proc, and its CPU time
// so far (user + system: its start and that idle second).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { connect } from '@nats-io/transport-node';
import { AgentMinter, Installation } from '@vnf-lcm/auth';
import { Agent } from '@vnf-lcm/contracts';
import { ROOT, sleep } from './lib/system.mjs';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '20' },
    runs: { type: 'string', default: '5' },
    open: { type: 'boolean', default: false },
    out: { type: 'string' },
    kinds: { type: 'string', default: process.env.BENCH_AGENT ? 'node,floor,other,agent,warm' : 'node,floor,agent,warm' },
  },
});
const N = Number(args.agents);
const RUNS = Number(args.runs);
const OUT = resolve(args.out ?? join(ROOT, 'bench/results', args.open ? 'agent-open.json' : 'agent.json'));
const AGENT = join(ROOT, 'apps/vnf-agent/dist/agent.cjs');
// BENCH_AGENT: another build of the agent (its agent.cjs, or an older agent.bundle.cjs), measured
// as the kind `other`, cold, in the same runs as this one
const OTHER = process.env.BENCH_AGENT ? resolve(process.env.BENCH_AGENT) : undefined;
// every kind in the environment the VIM gives an agent: Node.js's own variables (NODE_OPTIONS,
// NODE_EXTRA_CA_CERTS, ...) moved aside for the application (ADR 30)
const AGENT_ENV = Agent.parkRuntimeEnv(process.env);
const dir = mkdtempSync(join(tmpdir(), 'vnf-bench-agent-'));

const floor = join(dir, 'hello-floor.mjs');
await build({
  entryPoints: [join(ROOT, 'bench/lib/hello-floor.mjs')],
  outfile: floor,
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
});
const idle = join(dir, 'idle.mjs');
writeFileSync(idle, "process.stdout.write('up\\n'); setInterval(() => undefined, 1000);\n");

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (a) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * 0.9))];

function memoryOf(pid) {
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024;
  return {
    rss: kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
    pss: kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'),
    cpu: cpuMsOf(pid),
  };
}

/** user + system CPU the process used so far, in ms (clock ticks of 10 ms) */
function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function startServer(runDir) {
  const bin = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  let conf = ['-js', '-sd', join(runDir, 'js')];
  let security;
  if (!args.open) {
    security = await Installation.prepare(join(runDir, 'security'), { tls: true, storeDir: join(runDir, 'js'), port: -1 });
    conf = ['-c', security.configFile];
  }
  const p = spawn(bin, [...conf, '-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', runDir], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      const url = JSON.parse(readFileSync(join(runDir, `nats-server_${p.pid}.ports`), 'utf8')).nats[0];
      return { p, url, security };
    } catch {
      if (i > 400) throw new Error('nats-server did not start');
      await sleep(25);
    }
  }
}

/**
 * A spare as the VIM's process driver starts one: no node, no identity, the CA's path only; once
 * it says it is ready (fd 3), it waits on stdin for its assignment.
 */
async function spare(server, runDir) {
  const env = { ...AGENT_ENV, LOG_LEVEL: 'info', VNF_SPARE_READY_FD: '3' };
  for (const k of Object.keys(env)) if (k.startsWith('NATS_') || ['VNF_NODE', 'VNF_ADDRESS', 'VNF_WORKDIR'].includes(k)) delete env[k];
  if (server.security) env.NATS_TLS_CA = server.security.env('devops').NATS_TLS_CA;
  const child = spawn(process.execPath, [...Agent.RuntimeEnv.nodeFlags, AGENT, Agent.Spare.flag, Agent.Spare.room], {
    cwd: runDir,
    env,
    stdio: ['pipe', 'ignore', 'ignore', 'pipe'],
  });
  await new Promise((r, j) => {
    child.stdio[3].once('data', r);
    child.once('exit', (code) => j(new Error(`spare exited (${code}) before it was ready`)));
  });
  child.removeAllListeners('exit');
  child.stdio[3].destroy();
  return child;
}

/** N processes of one kind, one after the other: each one's start, then everyone's memory. */
async function runKind(kind, server, nc, minter, runDir) {
  const file = { node: idle, floor, agent: AGENT, other: OTHER }[kind];
  const starts = [];
  const children = [];
  try {
    for (let i = 0; i < N; i++) {
      const node = `bench-${kind}-${i}`;
      const work = join(runDir, node);
      mkdirSync(work);
      const hostEnv = { NATS_URL: server.url, VNF_NODE: node, VNF_ADDRESS: '127.0.0.1', VNF_WORKDIR: work };
      const env = { ...AGENT_ENV, ...hostEnv, LOG_LEVEL: 'info' };
      delete env.NATS_CREDS;
      let creds;
      if (minter && kind !== 'node') {
        creds = (await minter.mint(node)).creds;
        Object.assign(env, { NATS_CREDS: '-', NATS_TLS_CA: server.security.env('devops').NATS_TLS_CA });
      }
      // ready before the clock starts, as the zone's spare is when a host start comes
      const ready = kind === 'warm' ? await spare(server, runDir) : undefined;
      const hello = kind === 'node' ? undefined : nc.subscribe(`vnf.agent.hello.${node}`, { max: 1 });
      if (hello) await nc.flush();
      const t0 = performance.now();
      if (ready) {
        ready.stdin.end(JSON.stringify({ env: hostEnv, creds: creds && Buffer.from(creds).toString('utf8'), log: join(work, 'agent.log') }));
        children.push(ready);
        for await (const _m of hello) break;
        starts.push(performance.now() - t0);
        continue;
      }
      const child = spawn(process.execPath, [...Agent.RuntimeEnv.nodeFlags, file], { cwd: work, env, stdio: [creds ? 'pipe' : 'ignore', 'pipe', 'ignore'] });
      if (creds) child.stdin.end(Buffer.from(creds));
      children.push(child);
      if (hello) for await (const _m of hello) break;
      else await new Promise((r) => child.stdout.once('data', r));
      starts.push(performance.now() - t0);
      child.stdout.resume();
    }
    await sleep(1000);
    const mem = children.map((c) => memoryOf(c.pid));
    return { starts, rss: mem.map((m) => m.rss), pss: mem.map((m) => m.pss), cpu: mem.map((m) => m.cpu) };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await sleep(100);
  }
}

const KINDS = args.kinds.split(',');
if (KINDS.includes('other') && !OTHER) throw new Error('the kind "other" is the build BENCH_AGENT names: set it');
const runs = [];
for (let r = 0; r < RUNS; r++) {
  const runDir = join(dir, `run-${r}`);
  mkdirSync(runDir);
  const server = await startServer(runDir);
  const nc = server.security ? await server.security.connect(server.url, 'bench', 'admin') : await connect({ servers: server.url, name: 'bench' });
  const minter = server.security ? AgentMinter.fromFile(server.security.env('vim-adapter').VIM_AGENT_SIGNER) : undefined;
  const run = {};
  // every other run the other way round, so that no kind always follows the same one
  for (const kind of r % 2 ? [...KINDS].reverse() : KINDS) run[kind] = await runKind(kind, server, nc, minter, runDir);
  runs.push(run);
  await nc.close();
  server.p.kill('SIGKILL');
  process.stderr.write(`run ${r + 1}/${RUNS}: ${KINDS.map((k) => `${k} ${median(run[k].starts).toFixed(0)} ms`).join(', ')}\n`);
}
rmSync(dir, { recursive: true, force: true });

const figures = Object.fromEntries(
  KINDS.map((k) => {
    const per = (f) => runs.map((r) => median(r[k][f]));
    return [
      k,
      {
        startP50: median(per('starts')),
        startP90: median(runs.map((r) => p90(r[k].starts))),
        rss: median(per('rss')),
        pss: median(per('pss')),
        cpu: median(per('cpu')),
        runs: per('starts'),
      },
    ];
  }),
);
const fmt = (v) => v.toFixed(1);
console.log(
  `\n${RUNS} runs of ${N} processes per kind, ${args.open ? 'open server' : 'secured server (TLS, a node identity each)'}; medians over runs of each run's median\n`,
);
console.log("| kind | spawn (warm: assignment) → hello p50 (ms) | p90 (ms) | VmRSS (MB) | Pss (MB) | CPU (ms) | runs' p50 (ms) |");
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const k of KINDS) {
  const f = figures[k];
  console.log(
    `| ${k} | ${fmt(f.startP50)} | ${fmt(f.startP90)} | ${fmt(f.rss)} | ${fmt(f.pss)} | ${f.cpu.toFixed(0)} | ${f.runs.map((x) => x.toFixed(0)).join(' ')} |`,
  );
}
if (figures.other && figures.agent) {
  const [a, o] = [figures.agent, figures.other];
  console.log(
    `\nthis build / BENCH_AGENT's: start ${(a.startP50 / o.startP50).toFixed(2)} × (${fmt(a.startP50 - o.startP50)} ms), CPU ${(a.cpu / o.cpu).toFixed(2)} ×, Pss ${fmt(a.pss - o.pss)} MB`,
  );
}
// the comparisons need every kind
if (['node', 'floor', 'agent', 'warm'].every((k) => figures[k])) {
  const a = figures.agent;
  console.log(
    `\nagent / floor: start ${(a.startP50 / figures.floor.startP50).toFixed(2)} ×, Pss ${(a.pss / figures.floor.pss).toFixed(2)} ×, VmRSS ${(a.rss / figures.floor.rss).toFixed(2)} ×`,
  );
  console.log(`agent - node alone: start +${fmt(a.startP50 - figures.node.startP50)} ms, VmRSS +${fmt(a.rss - figures.node.rss)} MB`);
  const w = figures.warm;
  console.log(
    `targets (issue 12): spawn → hello p50 ≤ 80 ms: cold ${a.startP50 <= 80 ? 'met' : 'missed'}, warm ${w.startP50 <= 80 ? 'met' : 'missed'}; ≤ 45 MB per agent: Pss ${a.pss <= 45 ? 'met' : 'missed'}, VmRSS ${a.rss <= 45 ? 'met' : 'missed'}`,
  );
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(
  OUT,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, agents: N, runs: RUNS, secured: !args.open, figures, raw: runs }, null, 2),
);
console.log(`\nwritten to ${OUT}`);
