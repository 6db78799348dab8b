#!/usr/bin/env node
// A rolling upgrade under load: N backends (default 5) behind one frontend, v1 to v2, while a
// load generator sends requests through the frontend. Prints the total and per-node time, the
// requests and the failures, against the application's own start-up measured in the same run.
//
//   npm run bench:upgrade -- [--nodes 5]
import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BenchSystem, ROOT, stats, ms } from './lib/system.mjs';
import { BACKEND, startOnce } from './lib/baseline.mjs';
import { Load } from './lib/load.mjs';

const { values: args } = parseArgs({ options: { nodes: { type: 'string', default: '5' } } });
const N = Number(args.nodes);
const TARGET = { failures: 0, perNodeOverMs: 1000 };

const sys = new BenchSystem(149);
try {
  await sys.start();
  const cwd = join(ROOT, 'examples/apps');
  const app = (port, file, version) => ({ version, command: 'node', args: [file], cwd, port, reload: { signal: 'SIGHUP' } });
  const health = { http: '/health', intervalMs: 20, timeoutMs: 10_000 };
  const descriptor = {
    name: 'upgrade',
    clusters: [
      { name: 'backend', nodes: N, max: 2 * N, app: app(8080, 'backend.mjs', 'v1'), versions: [app(8080, 'backend.mjs', 'v2')], health },
      { name: 'frontend', nodes: 1, dependsOn: ['backend'], app: app(8000, 'frontend.mjs', 'v1'), health },
    ],
  };
  const { op: deployOp } = await sys.request('vnf.ao.deploy', { descriptor });
  if ((await sys.waitOp(deployOp)).state !== 'COMPLETED') throw new Error('deployment failed');
  const f = (await sys.vnf('upgrade')).nodes.frontend[0];
  const load = new Load(() => [`http://${f.address}:${f.port}/`], 4, 600_000, 5);
  await new Promise((r) => setTimeout(r, 500));
  const { op } = await sys.request('vnf.ao.upgrade', { vnf: 'upgrade', cluster: 'backend', version: 'v2' });
  const done = await sys.waitOp(op);
  await new Promise((r) => setTimeout(r, 500));
  const samples = await load.stop();
  if (done.state !== 'COMPLETED') throw new Error(`upgrade ended ${done.state}: ${done.error?.description}`);
  const v = await sys.vnf('upgrade');
  const versions = [...new Set(v.nodes.backend.map((n) => n.version))];

  const total = Date.parse(done.endedAt) - Date.parse(done.startedAt);
  const failures = samples.filter((s) => s.status !== 200);
  const base = [];
  for (let i = 0; i < N; i++) base.push(await startOnce(BACKEND, `127.149.200.${i + 1}`, 18080));
  const b = stats(base);
  const perNode = total / N;
  const over = perNode - b.p50;

  console.log(`\n### bench/upgrade: ${N} backends v1 → v2 under load, process driver\n`);
  console.log('| measure | value | target | ok |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| total time | ${ms(total)} | | |`);
  console.log(`| time per node | ${ms(perNode)} | | |`);
  console.log(`| baseline: application start-up alone (median of ${N}) | ${ms(b.p50)} | | |`);
  console.log(`| per node beyond the application's start-up | ${ms(over)} | ≤ ${ms(TARGET.perNodeOverMs)} | ${over <= TARGET.perNodeOverMs ? 'yes' : 'NO'} |`);
  console.log(`| per node / baseline | ${(perNode / b.p50).toFixed(1)}× | | |`);
  console.log(`| requests through the frontend | ${samples.length} | | |`);
  console.log(`| failed requests | ${failures.length} | ${TARGET.failures} | ${failures.length === 0 ? 'yes' : 'NO'} |`);
  console.log(`| versions at the end | ${versions.join(', ')} | v2 | ${versions.join() === 'v2' ? 'yes' : 'NO'} |`);
  // where a node's time goes: each step's share, from the operation's own record
  const per = new Map();
  done.steps.forEach((st, i) => {
    const prev = i ? Date.parse(done.steps[i - 1].at) : Date.parse(done.startedAt);
    const k = st.label.replace(/\\n/g, ' ');
    per.set(k, (per.get(k) ?? 0) + Date.parse(st.at) - prev);
  });
  console.log('\n| step (all nodes) | time | per node |\n| --- | --- | --- |');
  for (const [k, t] of [...per].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${ms(t)} | ${ms(t / N)} |`);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/upgrade.json'),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        nodes: N,
        totalMs: total,
        perNodeMs: perNode,
        baseline: b,
        requests: samples.length,
        failures: failures.length,
        versions,
      },
      null,
      2,
    ),
  );
} finally {
  await sys.stop();
}
