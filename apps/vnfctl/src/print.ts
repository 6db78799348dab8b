import type { Events, Query, Records, Trace } from '@vnf-lcm/contracts';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function printEvent(e: Events.Event, json = false, since?: number) {
  if (json) return console.log(JSON.stringify(e));
  const t = since ? `+${((Date.now() - since) / 1000).toFixed(2)}s` : e.ts.slice(11, 23);
  const step = e.step.replace(/\\n/g, ' ');
  const err = e.error ? `  ${e.error.err_code}: ${e.error.description}` : '';
  console.log(`${pad(t, 12)} ${pad(e.vnf, 10)} ${pad(step, 26)} ${pad(e.cluster ?? '', 10)} ${pad(e.node ?? '', 20)} ${e.state}${err}`);
}

export function printVnf(v: Records.VnfRecord) {
  const op = v.activeOp ? `  (operation ${v.activeOp} running)` : '';
  console.log(`${v.name}  ${v.state}${op}`);
  for (const c of v.descriptor.clusters) {
    const nodes = v.nodes[c.name] ?? [];
    console.log(`  ${c.name}  ${nodes.length}/${c.nodes} nodes  depends on: ${(c.dependsOn ?? []).join(', ') || '-'}`);
    for (const n of nodes) console.log(`    ${pad(n.node, 24)} http://${n.address}:${n.port}  ${n.version ?? ''}  zone ${n.zone}`);
  }
}

/** status without a vnf: what vnf-list says of each, the clusters without their nodes */
export function printVnfSummary(v: Query.VnfSummary) {
  const op = v.activeOp ? `  (operation ${v.activeOp} running)` : '';
  console.log(`${v.name}  ${v.state}${op}`);
  for (const c of v.clusters) console.log(`  ${c.name}  ${c.nodes}/${c.want} nodes  ${versions(c)}  depends on: ${(c.dependsOn ?? []).join(', ') || '-'}`);
}

/** list: one line a VNF */
export function printVnfLines(vnfs: Query.VnfSummary[]) {
  if (!vnfs.length) return console.log('no vnf');
  for (const v of vnfs) {
    const clusters = v.clusters.map((c) => `${c.name} ${c.nodes}/${c.want}`).join(', ');
    console.log(`${pad(v.name, 24)} ${pad(v.state, 17)} ${clusters}${v.activeOp ? `  (operation ${v.activeOp} running)` : ''}`);
  }
}

const versions = (c: Query.ClusterSummary) => {
  const running = Object.entries(c.running).map(([v, n]) => `${v} x${n}`);
  return running.length ? `runs ${running.join(', ')}` : `version ${c.version}`;
};

export function printOps(ops: Query.OpSummary[]) {
  if (!ops.length) return console.log('no operation');
  for (const o of ops)
    console.log(
      `${o.id}  ${pad(o.vnf, 10)} ${pad(o.algorithm, 11)} ${pad(o.state, 12)} ${o.startedAt}  ${o.steps} steps${o.error ? `  ${o.error.err_code}: ${o.error.description}` : ''}`,
    );
}

export function printOp(o: Records.OpRecord, waiting: Trace.Entry[] = []) {
  console.log(`${o.id}  ${o.algorithm} ${o.vnf}  ${o.state}  by ${o.requestedBy}  ${o.startedAt} .. ${o.endedAt ?? ''}`);
  if (o.error) console.log(`  error: ${o.error.err_code}: ${o.error.description} (after ${o.error.step ?? 'start'})`);
  for (const s of o.steps) console.log(`  ${s.at.slice(11, 23)}  ${pad(s.key, 28)} ${s.label.replace(/\\n/g, ' ')}  ${s.node ?? ''}`);
  for (const w of waiting) {
    const forS = ((Date.now() - Date.parse(w.ts)) / 1000).toFixed(1);
    console.log(`  waiting     ${pad(`${w.from}->${w.to}: ${w.label.replace(/\\n/g, ' ')}`, 44)} ${pad(w.node ?? w.cluster ?? '', 20)} for ${forS} s`);
  }
}
