#!/usr/bin/env node
// How vnf-lcm scales with the number of nodes (issue 12 point 3). Hollow mode, as Kubernetes'
// kubemark: the VIM's `hollow` driver runs every node's agent in ONE process that speaks the real
// protocol on the real subjects (hello, heartbeats, the agent's requests checked by its schemas and
// answered in its reply shapes) but spawns no application. So what is measured is the system's own
// cost per node: the orchestrator, the VNFM, the VIM adapter and NATS, not the processes.
//
// Each run deploys N1 (100) nodes in a fresh system, then N2 (1000) in another, as one VNF, and at
// N2 reads the services' resident memory, the VNFM's CPU under the heartbeats, the time the VNFM
// takes to ask for healing of a hollow node that died, and the wall time of `vnfctl status <vnf>`.
//
//   npm run build && npm run bench:scale -- [--runs 3] [--sizes 100,1000] [--per-cluster 100]
//       [--kills 2] [--heartbeat-ms 250] [--out bench/results/scale.json]
//
// The system is open (anonymous clients, plain text), as bench/deploy's default: hollow mode
// needs it (one connection answers for every node, which no node identity may do).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Agent, Deploy, Events, Query } from '@vnf-lcm/contracts';
import { BenchSystem, ROOT, sleep } from './lib/system.mjs';

const OCTET = 69;
const VNF = 'scale';
const TARGET = { ratio: 11, rssMiB: 300, detectionMs: 1000, statusMs: 1000 };
const SERVICES = ['orchestrator', 'vnfm', 'vim-adapter'];
const VNFCTL = join(ROOT, 'apps/vnfctl/dist/main.js');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '100,1000' },
    'per-cluster': { type: 'string', default: '100' },
    kills: { type: 'string', default: '2' },
    'heartbeat-ms': { type: 'string', default: '250' },
    // the deployment's operation record holds every step: at 1000 nodes it passes 1 MB
    'max-payload': { type: 'string', default: String(8 * 1024 * 1024) },
    out: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const SIZES = args.sizes.split(',').map(Number);
const PER_CLUSTER = Number(args['per-cluster']);
const KILLS = Number(args.kills);
const HEARTBEAT_MS = Number(args['heartbeat-ms']);
const MAX_PAYLOAD = Number(args['max-payload']);
const OUT = resolve(args.out ?? join(ROOT, 'bench/results/scale.json'));
if (SIZES.length !== 2 || !SIZES.every((n) => Number.isInteger(n) && n >= 1 && n <= 5000) || SIZES[0] >= SIZES[1]) {
  console.error('--sizes must be two node counts, the smaller first (e.g. 100,1000)');
  process.exit(2);
}
if (!Number.isInteger(PER_CLUSTER) || PER_CLUSTER < 1 || PER_CLUSTER > 1000) {
  console.error('--per-cluster must be an integer from 1 to 1000 (the descriptor allows 1000 nodes per cluster)');
  process.exit(2);
}

/** one VNF of n nodes in clusters of at most PER_CLUSTER, on the hollow zone */
function descriptor(n) {
  const k = Math.ceil(n / PER_CLUSTER);
  const clusters = [];
  for (let i = 0; i < k; i++) {
    const nodes = Math.floor(n / k) + (i < n % k ? 1 : 0);
    clusters.push({
      name: `c${i}`,
      nodes,
      max: Math.max(nodes, 1),
      zone: 'hollow',
      // never spawned: the hollow agents find it "running" at once
      app: { version: 'v1', command: 'node', args: ['tiny.mjs'], cwd: join(ROOT, 'bench/apps'), port: 8080, reload: { signal: 'SIGHUP' } },
      health: { http: '/health', intervalMs: 50, timeoutMs: 10_000 },
    });
  }
  return { name: VNF, clusters };
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) the process used so far */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function deploy(sys, n) {
  const { op } = await sys.request(Deploy.Subject, { descriptor: descriptor(n) }, 30_000);
  const r = await sys.waitOp(op, 600_000 + n * 2_000);
  if (r.state !== 'COMPLETED') throw new Error(`deployment of ${n} nodes ended ${r.state}: ${JSON.stringify(r.error ?? '')}`);
  const out = {
    ms: Date.parse(r.endedAt) - Date.parse(r.startedAt),
    recordMs: r.stats?.recordMs,
    steps: r.steps.length,
    recordKiB: Buffer.byteLength(JSON.stringify(r)) / 1024,
  };
  console.error(`deployed ${n} nodes: ${JSON.stringify(out)}`);
  return out;
}

/** kill a hollow node (silent: heartbeats stop, nobody reports; otherwise the VIM reports host-down) and time the VNFM's healing request */
async function detect(sys, silent, exclude) {
  const v = await sys.vnf(VNF);
  const all = Object.values(v.nodes).flat();
  const victim = all.find((n) => !exclude.has(n.node)).node;
  exclude.add(victim);
  // the healing is found from the operations' events, each checked by one op-get of its own:
  // polling op-list would return the deployment's record (over a megabyte) every time, and load
  // the orchestrator during the very detection being measured
  const healings = [];
  let wake = () => {};
  const sub = sys.nc.subscribe(`${Events.SubjectPrefix}.${VNF}.*`, {
    callback: (_e, m) => {
      const e = m.json();
      if (e.algorithm === 'healing' && !healings.includes(e.op)) healings.push(e.op), wake();
    },
  });
  await sys.nc.flush();
  const t0 = Date.now();
  const r = await sys.request(Agent.HollowControl.kill('hollow'), { node: victim, silent });
  if (!r.found) throw new Error(`hollow node ${victim} not found`);
  let healing;
  const checked = new Set();
  try {
    for (const until = Date.now() + 30_000; !healing; ) {
      for (const id of healings.filter((x) => !checked.has(x))) {
        checked.add(id);
        const { op } = await sys.request(Query.Subject.opGet, { op: id });
        if (op.params.node === victim) healing = op;
      }
      if (healing) break;
      if (Date.now() > until) throw new Error(`no healing of ${victim}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 1000);
        wake = () => resolve(clearTimeout(t));
      });
    }
  } finally {
    sub.unsubscribe();
  }
  const done = await sys.waitOp(healing.id, 120_000);
  if (done.state !== 'COMPLETED') throw new Error(`healing of ${victim} ended ${done.state}`);
  return Date.parse(done.startedAt) - t0;
}

const execFileP = promisify(execFile);
async function vnfctlStatus(sys, argv = ['status', VNF]) {
  const t0 = performance.now();
  const { stdout } = await execFileP(process.execPath, [VNFCTL, ...argv], { env: { ...process.env, NATS_URL: sys.url }, maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  return { ms, lines: stdout.split('\n').length };
}

async function withSystem(fn) {
  const sys = new BenchSystem(
    OCTET,
    { VNF_HEARTBEAT_MS: String(HEARTBEAT_MS), ...(process.env.BENCH_LOG_LEVEL ? { LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}) },
    { hollow: true, maxPayload: MAX_PAYLOAD || undefined },
  );
  let failed = false;
  try {
    await sys.start();
    return await fn(sys);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    const keep = failed || !!process.env.BENCH_KEEP_LOGS;
    await sys.stop({ keepLogs: keep });
    if (keep) console.error(`service logs kept in ${sys.dir}`);
  }
}

async function oneRun(run) {
  const [n1, n2] = SIZES;
  const d1 = await withSystem((sys) => deploy(sys, n1));
  return withSystem(async (sys) => {
    const d2 = await deploy(sys, n2);
    // the heartbeats of every node, for a few seconds, before memory and CPU are read
    const pids = Object.fromEntries(SERVICES.map((s) => [s, sys.children.get(s).pid]));
    const hollowPid = (await sys.hosts()).find((h) => h.zone === 'hollow')?.pid;
    await sleep(2_000);
    const cpu0 = Object.fromEntries(SERVICES.map((s) => [s, cpuSeconds(pids[s])]));
    const w0 = performance.now();
    await sleep(5_000);
    const wall = (performance.now() - w0) / 1000;
    const cpu = Object.fromEntries(SERVICES.map((s) => [s, (100 * (cpuSeconds(pids[s]) - cpu0[s])) / wall]));
    const mem = Object.fromEntries(SERVICES.map((s) => [s, procStatus(pids[s])]));
    if (hollowPid) mem.hollow = procStatus(hollowPid);
    const status = [];
    const startup = [];
    for (let i = 0; i < 5; i++) {
      status.push(await vnfctlStatus(sys));
      startup.push(await vnfctlStatus(sys, ['--version']));
    }
    const used = new Set();
    const silent = [];
    const reported = [];
    for (let i = 0; i < KILLS; i++) silent.push(await detect(sys, true, used));
    for (let i = 0; i < KILLS; i++) reported.push(await detect(sys, false, used));
    const r = {
      run,
      t: { [n1]: d1.ms, [n2]: d2.ms },
      ratio: d2.ms / d1.ms,
      deploy: { [n1]: d1, [n2]: d2 },
      mem,
      cpuPct: cpu,
      status: status.map((s) => Math.round(s.ms)),
      vnfctlStartup: startup.map((s) => Math.round(s.ms)),
      statusLines: status[0].lines,
      detection: { silent, reported },
    };
    console.error(`run ${run}: ${JSON.stringify(r)}`);
    return r;
  });
}

const runs = [];
for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i));

const [n1, n2] = SIZES;
const fmt = (x, d = 0) => (x === undefined ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const med = (f) => median(runs.map(f));
const rows = [
  [`t(${n1}): deploy ${n1} nodes (op startedAt → endedAt)`, (r) => r.t[n1], (x) => `${fmt(x)} ms`],
  [`t(${n2}): deploy ${n2} nodes`, (r) => r.t[n2], (x) => `${fmt(x)} ms`],
  [`t(${n2}) / t(${n1})`, (r) => r.ratio, (x) => fmt(x, 2), TARGET.ratio, (x) => x <= TARGET.ratio],
  ...[n1, n2].map((n) => [`  of t(${n}): the AO writing its records (op.stats.recordMs)`, (r) => r.deploy[n].recordMs, (x) => `${fmt(x)} ms`]),
  ...[n1, n2].map((n) => [
    `  the operation record at the end of t(${n}) (${runs[0].deploy[n].steps} steps)`,
    (r) => r.deploy[n].recordKiB,
    (x) => `${fmt(x)} KiB`,
  ]),
  [
    `  (t(${n2}) − its recordMs) / (t(${n1}) − its recordMs)`,
    (r) => (r.deploy[n2].ms - r.deploy[n2].recordMs) / (r.deploy[n1].ms - r.deploy[n1].recordMs),
    (x) => fmt(x, 2),
  ],
  ...SERVICES.map((s) => [
    `RSS of ${s} at ${n2} nodes (VmRSS)`,
    (r) => r.mem[s].rssMiB,
    (x) => `${fmt(x)} MiB`,
    `${TARGET.rssMiB} MB`,
    (x) => x * 1.048576 <= TARGET.rssMiB,
  ]),
  ...SERVICES.map((s) => [`peak RSS of ${s} (VmHWM)`, (r) => r.mem[s].hwmMiB, (x) => `${fmt(x)} MiB`]),
  [`RSS of the hollow agents' process (${n2} agents)`, (r) => r.mem.hollow?.rssMiB, (x) => `${fmt(x)} MiB`],
  ...SERVICES.map((s) => [`CPU of ${s}, ${n2} nodes beating every ${HEARTBEAT_MS} ms, idle otherwise`, (r) => r.cpuPct[s], (x) => `${fmt(x, 1)} % of a core`]),
  [
    `detection, heartbeats stopped (max of ${KILLS} per run)`,
    (r) => Math.max(...r.detection.silent),
    (x) => `${fmt(x)} ms`,
    `${TARGET.detectionMs} ms`,
    (x) => x <= TARGET.detectionMs,
  ],
  [
    `detection, host-down reported by the driver (max of ${KILLS})`,
    (r) => Math.max(...r.detection.reported),
    (x) => `${fmt(x)} ms`,
    `${TARGET.detectionMs} ms`,
    (x) => x <= TARGET.detectionMs,
  ],
  [
    `vnfctl status ${VNF} at ${n2} nodes, wall (median of 5)`,
    (r) => median(r.status),
    (x) => `${fmt(x)} ms`,
    `< ${TARGET.statusMs} ms`,
    (x) => x < TARGET.statusMs,
  ],
  ['  of which starting vnfctl (vnfctl --version, median of 5)', (r) => median(r.vnfctlStartup), (x) => `${fmt(x)} ms`],
];
const head = ['figure', ...runs.map((r) => `run ${r.run}`), 'median', 'target', 'met'];
const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
for (const [name, get, show, target, ok] of rows) {
  const m = med(get);
  lines.push(
    `| ${[name, ...runs.map((r) => show(get(r))), show(m), target === undefined ? '' : `≤ ${target}`.replace('≤ <', '<'), ok === undefined || m === undefined ? '' : ok(m) ? 'yes' : 'NO'].join(' | ')} |`,
  );
}
const clusters = (n) => Math.ceil(n / PER_CLUSTER);
console.log(
  `\n### bench/scale: ${RUNS} runs, hollow agents, ${n1} nodes (${clusters(n1)} cluster(s)) and ${n2} nodes (${clusters(n2)} clusters of ≤ ${PER_CLUSTER}), heartbeat ${HEARTBEAT_MS} ms, open server\n`,
);
console.log(lines.join('\n'));
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      sizes: SIZES,
      perCluster: PER_CLUSTER,
      heartbeatMs: HEARTBEAT_MS,
      target: TARGET,
      runs,
      median: Object.fromEntries(rows.map(([name, get]) => [name, med(get)])),
    },
    null,
    2,
  )}\n`,
);
console.error(`written to ${OUT}`);
process.exit(0);
