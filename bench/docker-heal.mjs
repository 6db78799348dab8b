#!/usr/bin/env node
// Where the time of one docker heal goes: bench/swarm.mjs (c) alone, without Swarm, with each
// healing operation's trace split into its arrows. A secured BenchSystem with a docker zone `box`
// (host network, 127.<octet+100>/16) runs 3 backends there and a frontend in a process zone; per
// run one backend container gets `docker kill`, and the healing operation's arrows are listed
// with their start (from the kill) and duration. Then the floor: `docker create` + `start` of a
// container with the driver's own options, until it runs.
//
//   npm run build && npm run images
//   node bench/docker-heal.mjs [--runs 5] [--octet 84] [--verbose: each run's arrows]
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { Events, Query } from '@vnf-lcm/contracts';
import { BenchSystem, exampleFrontend, ROOT, sleep } from './lib/system.mjs';
import { api, containersWith, killContainer, SOCKET } from './lib/engine.mjs';
import http from 'node:http';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, octet: { type: 'string', default: '84' }, verbose: { type: 'boolean', default: false } },
});
const RUNS = Number(args.runs);
const OCTET = Number(args.octet);
const VERBOSE = args.verbose;
const IMAGE = 'vnf-lcm/examples:latest';
const SCOPE = `dh${process.pid}`.slice(0, 20);

const sys = new BenchSystem(OCTET, {}, { secure: true });
sys.env.VIM_ZONES = JSON.stringify({
  defaultZone: 'local',
  zones: [
    { name: 'local', driver: 'process', range: `127.${OCTET}.0.0/17`, root: join(sys.dir, 'hosts/local') },
    { name: 'box', driver: 'docker', range: `127.${OCTET + 100}.0.0/16`, scope: SCOPE, image: IMAGE },
  ],
});

const backend = {
  version: 'v1',
  command: 'node',
  args: ['backend.mjs'],
  cwd: join(ROOT, 'examples/apps'),
  image: IMAGE,
  docker: { cwd: '/srv/examples/apps' },
  port: 8080,
  reload: { signal: 'SIGHUP' },
};
const health = { http: '/health', intervalMs: 20, timeoutMs: 20_000 };

/** each `+` paired with its `-`: start (ms from t0), duration, depth */
function arrows(entries, t0) {
  const stack = [];
  const out = [];
  for (const e of entries) {
    const t = e.at ?? Date.parse(e.ts);
    if (e.act === '+') {
      const row = { depth: stack.length, label: `${e.from}->${e.to}: ${e.label.replace(/\\n/g, ' ')}`, start: t - t0, node: e.node };
      out.push(row);
      stack.push({ e, row, t });
    } else if (e.act === '-') {
      const open = stack.pop();
      if (open) open.row.ms = t - open.t;
    } else out.push({ depth: stack.length, label: `${e.from}->${e.to}: ${e.label.replace(/\\n/g, ' ')}`, start: t - t0, ms: 0 });
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** the engine's die event for a container, as this process sees it (ms since the epoch) */
function dieOf(id) {
  return new Promise((resolve) => {
    const filters = encodeURIComponent(JSON.stringify({ container: [id], event: ['die'] }));
    const req = http.get({ socketPath: SOCKET, path: `/events?filters=${filters}` }, (res) => {
      res.once('data', () => {
        resolve(Date.now());
        req.destroy();
      });
    });
    req.on('error', () => undefined);
  });
}

async function heal(run) {
  const v = await sys.vnf('dh');
  const victim = v.nodes.backend[0].node;
  const [c] = (await containersWith(`vnf-lcm.scope=${SCOPE}`, false)).filter((x) => x.Labels['vnf-lcm.node'] === victim);
  let started;
  const sub = sys.nc.subscribe(`${Events.SubjectPrefix}.dh.*`, {
    callback: (_e, m) => {
      const j = m.json();
      if (!started && j.algorithm === 'healing') started = j.op ?? m.subject.split('.').pop();
    },
  });
  await sys.nc.flush();
  const die = dieOf(c.Id);
  await sleep(100);
  const t0 = Date.now();
  await killContainer(c.Id);
  const dieAt = await die;
  for (let i = 0; !started && i < 1500; i++) await sleep(10);
  sub.unsubscribe();
  if (!started) throw new Error('no healing');
  const done = await sys.waitOp(started);
  if (done.state !== 'COMPLETED') throw new Error(`healing ${started} ended ${done.state}: ${done.error?.description}`);
  const rows = arrows(await sys.traceEntries(started), t0);
  console.log(
    `\nrun ${run + 1} (kill at ${t0}): kill→die event ${dieAt - t0} ms, kill→op start ${Date.parse(done.startedAt) - t0} ms, kill→op end ${Date.parse(done.endedAt) - t0} ms`,
  );
  for (const r of rows)
    console.log(
      `${String(Math.round(r.start)).padStart(6)} ${String(r.ms === undefined ? '?' : r.ms.toFixed(1)).padStart(8)}  ${'  '.repeat(r.depth)}${r.label}`,
    );
  await sleep(1000);
  return { total: Date.parse(done.endedAt) - t0, detection: Date.parse(done.startedAt) - t0, rows };
}

/** the floor: the driver's container options, create + start until running (no agent, no NATS) */
async function floor(i) {
  const name = `vnf-dhfloor-${process.pid}-${i}`;
  const t0 = performance.now();
  const { Id } = await api('POST', `/containers/create?name=${name}`, {
    Image: IMAGE,
    Entrypoint: ['/bin/true'],
    User: '65534:65534',
    Labels: { 'vnf-lcm.scope': SCOPE },
    HostConfig: { NetworkMode: 'host', Init: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  }).catch(async () => api('POST', `/containers/create?name=${name}`, { Image: IMAGE, Cmd: ['node', '-e', '0'], Labels: { 'vnf-lcm.scope': SCOPE } }));
  const t1 = performance.now();
  await api('POST', `/containers/${Id}/start`);
  const t2 = performance.now();
  await api('DELETE', `/containers/${Id}?force=1`);
  const t3 = performance.now();
  return { create: t1 - t0, start: t2 - t1, rmf: t3 - t2 };
}

let code = 0;
try {
  await sys.start();
  const descriptor = {
    name: 'dh',
    clusters: [{ name: 'backend', nodes: 3, min: 0, max: 6, zone: 'box', app: backend, health }, exampleFrontend(health)],
  };
  const { op } = await sys.request('vnf.ao.deploy', { descriptor });
  const d = await sys.waitOp(op);
  if (d.state !== 'COMPLETED') throw new Error(`deploy ${d.state}: ${d.error?.description}`);
  const totals = [];
  for (let r = 0; r < RUNS; r++) totals.push(await heal(r));
  console.log(`\ntotals: ${totals.map((t) => t.total).join(', ')} ms; detection ${totals.map((t) => t.detection).join(', ')} ms`);
  // each arrow's median start (from the kill) and duration over the runs, in the order of the first run
  const keyed = totals.map((t) => {
    const seen = new Map();
    return new Map(t.rows.map((r) => [`${r.label}#${seen.set(r.label, (seen.get(r.label) ?? 0) + 1).get(r.label)}`, r]));
  });
  console.log(`\nmedians of ${RUNS} runs: start (ms from the kill), duration (ms), arrow`);
  console.log(`${String(median(totals.map((t) => t.detection))).padStart(6)} ${''.padStart(8)}  detection (kill → healing operation started)`);
  for (const [key, r] of keyed[0]) {
    const all = keyed.map((k) => k.get(key)).filter(Boolean);
    if (r.ms === 0) continue;
    console.log(
      `${String(Math.round(median(all.map((x) => x.start)))).padStart(6)} ${median(all.map((x) => x.ms))
        .toFixed(1)
        .padStart(8)}  ${'  '.repeat(r.depth)}${r.label}`,
    );
  }
  console.log(
    `${String(median(totals.map((t) => t.total))).padStart(6)} ${''.padStart(8)}  healing operation ended (kill → replacement serving, clients updated)`,
  );
  const fl = [];
  for (let i = 0; i < 5; i++) fl.push(await floor(i));
  console.log(`floor create/start/rm -f (ms): ${fl.map((f) => `${f.create.toFixed(0)}/${f.start.toFixed(0)}/${f.rmf.toFixed(0)}`).join('  ')}`);
} catch (err) {
  console.error(`bench failed: ${err.stack ?? err}`);
  code = 1;
} finally {
  await sys.stop({ keepLogs: code !== 0 }).catch(() => undefined);
  if (code !== 0) console.error(`service logs: ${sys.dir}`);
  const left = await containersWith(`vnf-lcm.scope=${SCOPE}`).catch(() => []);
  for (const c of left) await api('DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
}
process.exit(code);
