import { Query } from '@vnf-lcm/contracts';

type Request = <T>(subject: string, payload: unknown) => Promise<T>;

export interface WatchOptions {
  vnf: string;
  intervalMs: number;
  /** redraw in place (a terminal) or print a new block on each change */
  tty: boolean;
  json: boolean;
  write: (s: string) => void;
  warn: (s: string) => void;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** `2.4 s`, `3 min`: how long ago `iso` was, at `now` */
export function age(iso: string | undefined, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 120 ? `${s.toFixed(1)} s ago` : s < 7200 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
}

/** what a node's health reads as: its application's state, and unhealthy when its probes fail */
export function health(n: Query.NodeHealthEntry): string {
  if (!n.app) return n.state ? 'unknown' : 'not managed';
  return n.app.healthy === false ? `${n.app.state} unhealthy` : n.app.state === 'running' ? 'running healthy' : n.app.state;
}

/** One block: the VNF's nodes by cluster, each with its health and the age of its last heartbeat. */
export function block(r: Query.NodeHealthReply, now: number): string {
  const lines = [`${r.vnf}  ${new Date(now).toISOString().slice(11, 23)}  ${r.nodes.length} nodes`];
  let cluster: string | undefined;
  for (const n of r.nodes) {
    if (n.cluster !== cluster) lines.push(`  ${(cluster = n.cluster)}`);
    lines.push(`    ${pad(n.node, 24)} ${pad(health(n), 18)} last seen ${pad(age(n.lastSeen, now), 12)} ${n.address}  ${n.version ?? ''}  zone ${n.zone}`);
  }
  return `${lines.join('\n')}\n`;
}

/** what makes a new block when not on a terminal: anything but the passing of time */
const fingerprint = (r: Query.NodeHealthReply) => JSON.stringify(r.nodes.map((n) => [n.node, n.state, n.lastSeen, n.app?.state, n.app?.healthy]));

/**
 * `status <vnf> --watch`: reads vnf.ao.node-health every interval until stopped. On a terminal
 * the block is redrawn in place (ages keep counting); otherwise (a pipe, a file) a new block is
 * printed whenever a node's state or heartbeat changed, so that a log shows each change once.
 * A failed read after the first is said on stderr and the watch goes on (the AO may restart).
 */
export async function watchStatus(request: Request, o: WatchOptions, stopped: () => boolean, sleep: (ms: number) => Promise<void>): Promise<void> {
  let last = '';
  let failing = false;
  for (let first = true; !stopped(); first = false) {
    let r: Query.NodeHealthReply;
    try {
      r = await request<Query.NodeHealthReply>(Query.Subject.nodeHealth, { vnf: o.vnf });
      if (failing) o.warn('vnfctl: reading node health again\n');
      failing = false;
    } catch (err) {
      if (first) throw err;
      if (!failing) o.warn(`vnfctl: cannot read node health: ${(err as Error).message}; trying again\n`);
      failing = true;
      await sleep(o.intervalMs);
      continue;
    }
    const now = Date.now();
    const f = fingerprint(r);
    if (o.json) {
      if (f !== last) o.write(`${JSON.stringify({ ts: new Date(now).toISOString(), ...r })}\n`);
    } else if (o.tty) o.write(`\x1b[H\x1b[2J${block(r, now)}`);
    else if (f !== last) o.write(`${first ? '' : '\n'}${block(r, now)}`);
    last = f;
    await sleep(o.intervalMs);
  }
}
