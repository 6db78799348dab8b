#!/usr/bin/env node
// Where the time of a deployment goes. Starts its own nats-server and the three services (built:
// run `npm run build` first), deploys one cluster of N nodes of bench/apps/tiny.mjs, and reads
// the operation's record and its trace (the VNF_TRACE stream) to split the wall time into what
// starting hosts and applications costs and what the orchestration adds. As a baseline, it then
// starts N tiny.mjs processes directly, one after the other, each waited for until healthy.
//
//   npm run bench:deploy -- --nodes 20 [--runs 5] [--secure] [--out bench/results/deploy.json]
//   npm run bench:deploy -- --nodes 20 --runs 5 --compare-security [--out bench/results/deploy-security.json]
//
// With --runs K it runs K times, each in a fresh process with a fresh system, prints each run's
// table and then the figures of every run side by side with their median: on a VM whose idle
// wake-up cost drifts with its host's load, one run says little about a sub-millisecond figure.
//
// The system is open (anonymous clients, plain text) unless --secure: then operator mode and TLS,
// as the launcher runs it (each service its own identity, the keeper running, the bench's own
// client admin). --compare-security runs K pairs, open then secured, each run a fresh process,
// and prints both side by side with their medians, the ratio secured / open and a verdict.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Deploy, Records, Trace } from '@vnf-lcm/contracts';
import { BenchSystem, ROOT, sleep } from './lib/system.mjs';

const TINY = join(ROOT, 'bench/apps/tiny.mjs');
const PORT = 8080;
const HEALTH_INTERVAL_MS = 20;
/** the VIM's hosts take the lower half of 127.47/16 (zone local), the baseline's processes the upper half */
const OCTET = 47;
const baselineAddress = (i) => `127.${OCTET}.${128 + Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;

const TARGETS = { overheadRatio: 0.2, busP50Ms: 2, recordShare: 0.1 };

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20' },
    out: { type: 'string' },
    runs: { type: 'string', default: '1' },
    secure: { type: 'boolean', default: false },
    'compare-security': { type: 'boolean', default: false },
  },
});
const COMPARE = args['compare-security'];
if (COMPARE && args.secure) {
  console.error('--compare-security runs both modes: leave out --secure');
  process.exit(2);
}
const OUT = resolve(args.out ?? join(ROOT, 'bench/results', COMPARE ? 'deploy-security.json' : args.secure ? 'deploy-secure.json' : 'deploy.json'));
const N = Number(args.nodes);
if (!Number.isInteger(N) || N < 1 || N > 500) {
  console.error('--nodes must be an integer from 1 to 500');
  process.exit(2);
}
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) {
  console.error('--runs must be an integer from 1 to 50');
  process.exit(2);
}
if (COMPARE) process.exit(await compareSecurity());
if (RUNS > 1) process.exit(await runSeveral());

const sys = new BenchSystem(OCTET, { LOG_LEVEL: 'info' }, { secure: args.secure });

async function deploy() {
  const descriptor = {
    name: 'bench',
    clusters: [
      {
        name: 'tiny',
        nodes: N,
        max: Math.max(N, 1),
        app: { version: 'v1', command: 'node', args: ['tiny.mjs'], cwd: dirname(TINY), port: PORT, reload: { signal: 'SIGHUP' } },
        health: { http: '/health', intervalMs: HEALTH_INTERVAL_MS, timeoutMs: 30_000 },
      },
    ],
  };
  const { op } = await sys.request(Deploy.Subject, { descriptor });
  return sys.waitOp(op, 60_000 + N * 10_000);
}

// --- analysis ----------------------------------------------------------------------------------

/**
 * Pairs every `+` arrow with its `-` return. Arrows nest as the diagram does: an AO->VNFM or
 * AO->VIM request contains the VNFM->VNF or VIM->VNF arrows it caused. Arrows carry their step
 * (a request and its return the same; a receiver's arrows a part of it, `<step>/create`), so that
 * steps running side by side (hosts activated ahead of their turn, ADR 25) pair up; an arrow
 * without a step (an older trace) pairs with the innermost open one.
 */
function arrows(entries) {
  const open = [];
  const out = [];
  const pairs = (o, e) => o.e.from === e.to && o.e.to === e.from && (e.step === undefined || o.e.step === e.step);
  const parentOf = (e) => (e.step === undefined ? open[open.length - 1] : open.findLast((o) => o.e.step !== undefined && e.step.startsWith(`${o.e.step}/`)));
  for (const e of entries) {
    if (e.place !== undefined) continue;
    const t = e.at ?? Date.parse(e.ts);
    if (e.act === '+') {
      const parent = parentOf(e);
      if (parent) parent.firstIn ??= t;
      open.push({ e, inner: 0 });
    } else if (e.act === '-') {
      const i = open.findLastIndex((o) => pairs(o, e));
      if (i < 0) throw new Error(`unbalanced trace at ${e.from}->-${e.to} ${e.ts}`);
      const [o] = open.splice(i, 1);
      const start = o.e.at ?? Date.parse(o.e.ts);
      const ms = t - start;
      // before the first inner arrow and after the last: the request's way in and the reply's way out
      const leadIn = o.firstIn === undefined ? undefined : o.firstIn - start;
      const leadOut = o.lastOut === undefined ? undefined : t - o.lastOut;
      const parent = parentOf(o.e);
      out.push({ from: o.e.from, to: o.e.to, label: o.e.label, node: o.e.node, ms, inner: o.inner, leadIn, leadOut, depth: parent ? 1 : 0 });
      if (parent) {
        parent.inner += ms;
        parent.lastOut = t;
      }
    }
  }
  if (open.length) throw new Error(`${open.length} arrows never returned`);
  return out;
}

function percentile(values, p) {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function analyse(op, entries) {
  const wallMs = Date.parse(op.endedAt) - Date.parse(op.startedAt);
  const all = arrows(entries);
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const startVh = sum(all.filter((a) => a.from === 'VIM' && a.label === 'start virtual host').map((a) => a.ms));
  const startApp = sum(all.filter((a) => a.from === 'VNFM' && a.label === 'start application').map((a) => a.ms));
  const startupMs = startVh + startApp;
  const steps = all.filter((a) => a.from === 'AO' && (a.to === 'VNFM' || a.to === 'VIM'));
  const bus = steps.map((s) => s.ms - s.inner);
  const byStep = {};
  for (const s of steps) (byStep[`${s.from}->${s.to}: ${s.label}`] ??= []).push(s);
  const recordMs = op.stats?.recordMs;
  // wall = Σ AO steps + the AO's own time between them; Σ AO steps = Σ inner arrows + Σ bus overhead
  const inner = {};
  for (const a of all.filter((a) => a.to === 'VNF')) inner[`${a.from}->VNF: ${a.label}`] = (inner[`${a.from}->VNF: ${a.label}`] ?? 0) + a.ms;
  const breakdown = { ...inner, 'bus overhead of AO steps': sum(bus), 'AO between steps': wallMs - sum(steps.map((s) => s.ms)) };
  return {
    wallMs,
    startupMs,
    startVirtualHostMs: startVh,
    startApplicationMs: startApp,
    overheadMs: wallMs - startupMs,
    overheadRatio: (wallMs - startupMs) / startupMs,
    busSteps: bus.length,
    busP50Ms: percentile(bus, 50),
    busP95Ms: percentile(bus, 95),
    recordMs,
    recordShare: recordMs === undefined ? undefined : recordMs / wallMs,
    traceEntries: entries.length,
    breakdownMs: breakdown,
    byStep: Object.fromEntries(
      Object.entries(byStep).map(([k, v]) => [
        k,
        {
          count: v.length,
          p50Ms: percentile(
            v.map((s) => s.ms),
            50,
          ),
          busP50Ms: percentile(
            v.map((s) => s.ms - s.inner),
            50,
          ),
          busP95Ms: percentile(
            v.map((s) => s.ms - s.inner),
            95,
          ),
          leadInP50Ms: percentile(
            v.flatMap((s) => s.leadIn ?? []),
            50,
          ),
          leadOutP50Ms: percentile(
            v.flatMap((s) => s.leadOut ?? []),
            50,
          ),
        },
      ]),
    ),
  };
}

/**
 * What one message costs on this machine, for reading the per-step figures: a core request/reply
 * to a responder in another process, back to back and after 100 ms of idleness (as a step's reply
 * meets an orchestrator and a VNFM that waited for a host or an application to start: an idle
 * virtual CPU takes its time to wake), and a JetStream publish (with its ack) to the trace stream.
 */
async function busFloor(url, rounds = 300, idleRounds = 40) {
  // on a secured server the responder has an identity too (admin) and talks TLS, as the services do
  const stdio = ['ignore', 'pipe', 'inherit'];
  const echo = sys.secure
    ? spawn(process.execPath, [join(ROOT, 'bench/lib/echo-secure.mjs'), url], { env: { ...process.env, ...sys.envOf('admin') }, stdio })
    : spawn(process.execPath, [join(ROOT, 'bench/lib/echo.mjs'), url], { stdio });
  try {
    await new Promise((resolve, reject) => {
      echo.stdout.once('data', resolve);
      echo.once('exit', () => reject(new Error('bench echo responder exited')));
    });
    const ask = async () => {
      const t = performance.now();
      await sys.nc.request('bench.echo', '{"x":1}', { timeout: 2000 });
      return performance.now() - t;
    };
    const req = [];
    for (let i = 0; i < rounds; i++) req.push(await ask());
    const idle = [];
    for (let i = 0; i < idleRounds; i++) {
      await sleep(100);
      idle.push(await ask());
    }
    const js = jetstream(sys.nc);
    const pub = [];
    const entry = JSON.stringify({ op: 'bench-floor', from: 'AO', to: 'VNFM', act: '+', label: 'floor', ts: new Date().toISOString(), via: 'bench' });
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      await js.publish(Trace.subject('bench-floor'), entry);
      pub.push(performance.now() - t);
    }
    const r2 = (v) => Math.round(v * 100) / 100;
    return { requestP50Ms: r2(percentile(req, 50)), idleRequestP50Ms: r2(percentile(idle, 50)), jsPublishP50Ms: r2(percentile(pub, 50)) };
  } finally {
    echo.kill('SIGTERM');
  }
}

// --- baseline ----------------------------------------------------------------------------------

function healthy(address) {
  return new Promise((resolve) => {
    const req = http.get({ host: address, port: PORT, path: '/health', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** N tiny.mjs started directly, sequentially, each polled until healthy: what cannot be avoided */
async function baseline() {
  const procs = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < N; i++) {
      const address = baselineAddress(i);
      const p = spawn(process.execPath, [TINY], {
        cwd: dirname(TINY),
        env: { ...process.env, VNF_ADDRESS: address, VNF_PORT: String(PORT), VNF_NODE: `baseline-${i + 1}`, VNF_BENCH_DIR: sys.dir },
        stdio: 'ignore',
      });
      procs.push(p);
      const deadline = Date.now() + 30_000;
      while (!(await healthy(address))) {
        if (p.exitCode !== null || Date.now() > deadline) throw new Error(`baseline process ${i + 1} never became healthy`);
        await sleep(HEALTH_INTERVAL_MS);
      }
    }
    return performance.now() - t0;
  } finally {
    await Promise.all(
      procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => (p.once('exit', r), p.kill('SIGTERM'))))),
    );
  }
}

// --- report ------------------------------------------------------------------------------------

const fmtMs = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${Math.round(v).toLocaleString('en-US')} ms`);
/** sub-millisecond figures (trace times carry microseconds) */
const fmt1 = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`);
const fmtPct = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(1)} %`);
const verdict = (ok) => (ok === undefined ? '' : ok ? 'pass' : 'FAIL');

function table(r) {
  const m = r.metrics;
  const rows = [
    ['wall time (op startedAt → endedAt)', fmtMs(m.wallMs), '', ''],
    [
      `startup: Σ start virtual host (VIM) + start application (VNFM), ${N} nodes`,
      `${fmtMs(m.startupMs)} (${fmtMs(m.startVirtualHostMs)} + ${fmtMs(m.startApplicationMs)})`,
      '',
      '',
    ],
    ['orchestration overhead (wall − startup)', fmtMs(m.overheadMs), '', ''],
    ['overhead / startup', fmtPct(m.overheadRatio), `≤ ${TARGETS.overheadRatio * 100} %`, verdict(r.pass.overheadRatio)],
    [`bus overhead per AO→VNFM/VIM step, p50 (${m.busSteps} steps)`, fmt1(m.busP50Ms), `< ${TARGETS.busP50Ms} ms`, verdict(r.pass.busP50Ms)],
    ['bus overhead per AO→VNFM/VIM step, p95', fmt1(m.busP95Ms), '', ''],
    [
      '  of which beyond one request/reply after idle (floor below), p50',
      fmt1(m.busP50Ms - r.busFloor.idleRequestP50Ms),
      `< ${TARGETS.busP50Ms} ms`,
      verdict(m.busP50Ms - r.busFloor.idleRequestP50Ms < TARGETS.busP50Ms),
    ],
    [
      'record time share (op.stats.recordMs / wall)',
      `${fmtPct(m.recordShare)} (${m.recordMs ?? 'n/a'} ms)`,
      `< ${TARGETS.recordShare * 100} %`,
      verdict(r.pass.recordShare),
    ],
    [`baseline: ${N} × tiny.mjs spawned directly, sequentially, until healthy`, fmtMs(r.baselineMs), '', ''],
    ['wall / baseline', `${(m.wallMs / r.baselineMs).toFixed(1)} ×`, '', ''],
    ['floor: one core NATS request/reply to another process, back to back, p50', `${r.busFloor.requestP50Ms} ms`, '', ''],
    ['floor: the same request/reply after 100 ms idle, p50', `${r.busFloor.idleRequestP50Ms} ms`, '', ''],
    ['floor: one JetStream publish to the trace stream (each arrow end is one), p50', `${r.busFloor.jsPublishP50Ms} ms`, '', ''],
  ];
  const steps = Object.entries(m.byStep).map(
    ([k, v]) => `| ${k} | ${v.count} | ${fmt1(v.p50Ms)} | ${fmt1(v.busP50Ms)} | ${fmt1(v.busP95Ms)} | ${fmt1(v.leadInP50Ms)} | ${fmt1(v.leadOutP50Ms)} |`,
  );
  return [
    `Deployment of one cluster of ${N} × tiny.mjs — ${r.date}, ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}${r.security === 'secured' ? ' — secured: operator mode, TLS' : ''}`,
    '',
    '| metric | value | target | result |',
    '| --- | --- | --- | --- |',
    ...rows.map((c) => `| ${c.join(' | ')} |`),
    '',
    '| AO step | count | p50 duration | p50 bus overhead | p95 bus overhead | p50 way in | p50 way out |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...steps,
    '',
    '| where the wall time goes | Σ ms | share |',
    '| --- | --- | --- |',
    ...Object.entries(m.breakdownMs).map(([k, v]) => `| ${k.replace(/\\n/g, ' ')} | ${Math.round(v).toLocaleString('en-US')} | ${fmtPct(v / m.wallMs)} |`),
    '',
    'Bus overhead of a step: its duration minus the VNFM->VNF / VIM->VNF arrows inside it. Way in: from',
    "the AO's arrow to the first inner arrow; way out: from the last inner return to the AO's return.",
    'Trace entries carry microsecond times (`at`), so per-step figures are exact to the recording.',
  ].join('\n');
}

// --- several runs ------------------------------------------------------------------------------

function med(v) {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Runs this script once per entry of `runs` (its extra arguments), one after the other, each in a
 * fresh process, and returns their results, or the exit code of the first that failed. A signal
 * to this process goes on to the run under way, which stops its system; the folder of the
 * results goes in any case.
 */
async function runChildren(runs, before = () => undefined) {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'vnf-bench-runs-'));
  let current;
  let interrupted = false;
  const forward = (s) => {
    interrupted = true;
    current?.kill(s);
  };
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, forward);
  try {
    const results = [];
    for (const [i, extra] of runs.entries()) {
      if (interrupted) return 130;
      before(i);
      const out = join(dir, `run-${i + 1}.json`);
      const code = await new Promise((res) => {
        current = spawn(process.execPath, [process.argv[1], '--nodes', String(N), '--out', out, ...extra], { stdio: 'inherit' });
        current.once('exit', (c) => res(c ?? 1));
      });
      current = undefined;
      if (code !== 0) return code;
      results.push(JSON.parse(readFileSync(out, 'utf8')));
    }
    return results;
  } finally {
    for (const s of ['SIGINT', 'SIGTERM']) process.off(s, forward);
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeOut(summary) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nwritten to ${OUT}`);
}

/** K runs of this script, one after the other, and their figures side by side. */
async function runSeveral() {
  const results = await runChildren(Array.from({ length: RUNS }, () => (args.secure ? ['--secure'] : [])));
  if (!Array.isArray(results)) return results;
  const cols = results.map((r) => r.metrics);
  const floors = results.map((r) => r.busFloor.idleRequestP50Ms);
  const rows = [
    ['bus overhead per step, p50', cols.map((m) => m.busP50Ms), (v) => `${v.toFixed(2)} ms`, (v) => v < TARGETS.busP50Ms],
    ['floor: request/reply after 100 ms idle, p50', floors, (v) => `${v.toFixed(2)} ms`],
    ['beyond the idle floor', cols.map((m, i) => m.busP50Ms - floors[i]), (v) => `${v.toFixed(2)} ms`],
    ['overhead / startup', cols.map((m) => m.overheadRatio), (v) => `${(v * 100).toFixed(1)} %`, (v) => v <= TARGETS.overheadRatio],
    ['record time share', cols.map((m) => m.recordShare), (v) => `${(v * 100).toFixed(1)} %`, (v) => v < TARGETS.recordShare],
    ['wall time', cols.map((m) => m.wallMs), (v) => `${Math.round(v).toLocaleString('en-US')} ms`],
  ];
  console.log(`\n${RUNS} runs of ${N} nodes, each in a fresh ${args.secure ? 'secured ' : ''}system\n`);
  console.log(`| figure | ${results.map((_, i) => `run ${i + 1}`).join(' | ')} | median | target met |`);
  console.log(`| --- | ${results.map(() => '---').join(' | ')} | --- | --- |`);
  for (const [name, v, f, ok] of rows)
    console.log(`| ${name} | ${v.map(f).join(' | ')} | ${f(med(v))} | ${ok ? `${v.filter(ok).length} of ${v.length} runs` : ''} |`);
  const summary = { date: new Date().toISOString(), nodes: N, runs: results, medians: Object.fromEntries(rows.map(([name, v]) => [name, med(v)])) };
  writeOut(summary);
  return 0;
}

// --- open against secured ----------------------------------------------------------------------

/**
 * K pairs of runs, open then secured, each a fresh process with a fresh system, so that both modes
 * meet the same drift of the machine; the figures side by side, their medians, secured / open,
 * and whether the difference of the medians stands out of the run-to-run noise, taken as the
 * spread (max − min) of the open runs.
 */
async function compareSecurity() {
  const MODES = ['open', 'secured'];
  const runs = Array.from({ length: RUNS }, () => [[], ['--secure']]).flat();
  const results = await runChildren(runs, (i) => console.log(`\n--- pair ${Math.floor(i / 2) + 1} of ${RUNS}: ${MODES[i % 2]} ---\n`));
  if (!Array.isArray(results)) return results;
  const pairs = Array.from({ length: RUNS }, (_, i) => ({ open: results[2 * i], secured: results[2 * i + 1] }));
  for (const p of pairs) for (const m of MODES) if (p[m].security !== m) throw new Error(`a run meant to be ${m} reports itself ${p[m].security}`);

  const ms2 = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)} ms`);
  const msInt = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${Math.round(v).toLocaleString('en-US')} ms`);
  const figures = [
    { key: 'busP50Ms', short: 'step p50', name: 'bus overhead per AO→VNFM/VIM step, p50', get: (r) => r.metrics.busP50Ms, f: ms2 },
    {
      key: 'idleRequestP50Ms',
      short: 'idle floor',
      name: 'one core request/reply to another process after 100 ms idle, p50 (the floor)',
      get: (r) => r.busFloor.idleRequestP50Ms,
      f: ms2,
    },
    { key: 'beyondIdleFloorMs', short: 'beyond floor', name: 'step p50 − idle floor', get: (r) => r.metrics.busP50Ms - r.busFloor.idleRequestP50Ms, f: ms2 },
    { key: 'requestP50Ms', short: 'b2b floor', name: 'the same request/reply back to back, p50', get: (r) => r.busFloor.requestP50Ms, f: ms2 },
    { key: 'wallMs', short: 'wall', name: "the operation's wall time", get: (r) => r.metrics.wallMs, f: msInt },
  ];
  const stat = {};
  for (const fig of figures) {
    const open = pairs.map((p) => fig.get(p.open));
    const secured = pairs.map((p) => fig.get(p.secured));
    const medianOpen = med(open);
    const medianSecured = med(secured);
    const spreadOpen = Math.max(...open) - Math.min(...open);
    const difference = medianSecured - medianOpen;
    stat[fig.key] = {
      figure: fig.name,
      open,
      secured,
      medianOpen,
      medianSecured,
      spreadOpen,
      spreadSecured: Math.max(...secured) - Math.min(...secured),
      difference,
      ratio: medianSecured / medianOpen,
      securedAbove: pairs.filter((_, i) => secured[i] > open[i]).length,
      // one pair has no spread to judge by
      withinNoise: RUNS < 2 ? undefined : Math.abs(difference) <= spreadOpen,
    };
  }

  const header = figures.flatMap((fig) => MODES.map((m) => `${fig.short} ${m}`));
  const row = (label, cells) => `| ${label} | ${cells.join(' | ')} |`;
  const sign = (v, f) => (v > 0 ? `+${f(v)}` : f(v));
  const lines = [
    row('pair', header),
    row(
      '---',
      header.map(() => '---'),
    ),
    ...pairs.map((p, i) =>
      row(
        `${i + 1}`,
        figures.flatMap((fig) => MODES.map((m) => fig.f(fig.get(p[m])))),
      ),
    ),
    row(
      '**median**',
      figures.flatMap((fig) => [fig.f(stat[fig.key].medianOpen), fig.f(stat[fig.key].medianSecured)]),
    ),
    ...(RUNS > 1
      ? [
          row(
            'spread (max − min)',
            figures.flatMap((fig) => [fig.f(stat[fig.key].spreadOpen), fig.f(stat[fig.key].spreadSecured)]),
          ),
        ]
      : []),
    row(
      'secured − open (medians)',
      figures.flatMap((fig) => ['', sign(stat[fig.key].difference, fig.f)]),
    ),
    row(
      'secured / open (medians)',
      figures.flatMap((fig) => ['', `${stat[fig.key].ratio.toFixed(3)} ×`]),
    ),
    row(
      "within the open runs' spread",
      figures.flatMap((fig) => ['', stat[fig.key].withinNoise === undefined ? 'n/a (1 pair)' : stat[fig.key].withinNoise ? 'yes' : 'no']),
    ),
  ];
  const b = stat.busP50Ms;
  const pct = (v) => `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)} %`;
  const verdict =
    b.withinNoise === undefined
      ? `Verdict: one pair only, no spread of open runs to judge the difference by (secured − open ${sign(b.difference, ms2)}, ${pct(b.ratio - 1)}): run --runs 5 or more.`
      : `Verdict: per-step bus overhead p50, secured − open ${sign(b.difference, ms2)} (${pct(b.ratio - 1)}) between the medians, ` +
        `${b.withinNoise ? 'within noise' : 'NOT within noise'}: the ${RUNS} open runs spread over ${ms2(b.spreadOpen)} ` +
        `(${ms2(Math.min(...b.open))}–${ms2(Math.max(...b.open))}); secured above open in ${b.securedAbove} of ${RUNS} pairs.`;

  const first = pairs[0].open;
  console.log(
    `\nOpen against secured (operator mode + TLS): ${RUNS} pair${RUNS > 1 ? 's' : ''} of runs of ${N} nodes, open then secured, ` +
      `each in a fresh process and system — ${new Date().toISOString()}, ${first.machine.cpus} × ${first.machine.cpu}, Node ${first.machine.node}\n`,
  );
  console.log(lines.join('\n'));
  console.log(`\n${figures.map((fig) => `${fig.short}: ${fig.name}`).join('; ')}.`);
  console.log(`\n${verdict}`);
  writeOut({
    date: new Date().toISOString(),
    nodes: N,
    pairs: RUNS,
    order: 'open, secured, open, secured, ...: each run a fresh process with a fresh system',
    noise: "the spread (max − min) of the open runs' figure; within noise when |median secured − median open| ≤ that spread",
    machine: first.machine,
    figures: stat,
    verdict,
    runs: pairs,
  });
  return 0;
}

// --- main --------------------------------------------------------------------------------------

let code = 0;
try {
  await sys.start();
  const op = await deploy();
  if (op.state !== Records.OpState.completed) throw new Error(`deployment ended ${op.state}: ${op.error?.err_code}: ${op.error?.description}`);
  const metrics = analyse(op, await sys.traceEntries(op.id));
  const floor = await busFloor(sys.url);
  const baselineMs = await baseline();

  const cpu = cpus();
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpu.length,
      cpu: cpu[0]?.model?.trim() ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
      platform: process.platform,
    },
    nodes: N,
    security: sys.secure ? 'secured' : 'open',
    op: op.id,
    metrics,
    baselineMs: Math.round(baselineMs),
    busFloor: floor,
    wallOverBaseline: metrics.wallMs / baselineMs,
    targets: TARGETS,
    pass: {
      overheadRatio: metrics.overheadRatio <= TARGETS.overheadRatio,
      busP50Ms: metrics.busP50Ms < TARGETS.busP50Ms,
      recordShare: metrics.recordShare === undefined ? undefined : metrics.recordShare < TARGETS.recordShare,
    },
  };
  console.log(table(result));
  writeOut(result);
} catch (err) {
  console.error(`bench failed: ${err.stack ?? err}`);
  code = 1;
} finally {
  if (code !== 0 || process.env.BENCH_KEEP_LOGS) console.error(`service logs: ${sys.dir}`);
  await sys.stop({ keepLogs: code !== 0 || !!process.env.BENCH_KEEP_LOGS });
}
process.exit(code);
