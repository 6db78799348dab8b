import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { createInterface } from 'node:readline';
import { Query, Vim, type Records } from '@vnf-lcm/contracts';
import { parseLine, type LogRecord } from './log-lines.js';

const vnfctl = resolve(dirname(fileURLToPath(import.meta.url)), '../../vnfctl/dist/main.js');

/** Every service answers a harmless read: they are connected and subscribed. */
export async function waitForServices(nc: NatsConnection, timeoutMs = 60_000): Promise<void> {
  const probes = [Query.Subject.vnfList, Vim.ZONE_LIST, 'vnf.vnfm.cluster-get'];
  const deadline = Date.now() + timeoutMs;
  for (const subject of probes) {
    for (;;) {
      try {
        await nc.request(subject, subject === 'vnf.vnfm.cluster-get' ? '{"vnf":"probe"}' : subject === Query.Subject.vnfList ? '{"limit":1}' : '{}', {
          timeout: 1000,
        });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`no answer on ${subject}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

/** Deploys with vnfctl, as an operator would, then prints where to send traffic. */
export async function deployAndShow(
  nc: NatsConnection,
  server: string,
  file: string,
  log: (l: string) => void,
  print: (r: LogRecord) => void,
  identity: Record<string, string> = {},
): Promise<boolean> {
  const code = await new Promise<number>((res) => {
    // the server is named explicitly: vnfctl would otherwise use NATS_URL or its default port;
    // it deploys as DevOps (NATS_CREDS, NATS_TLS_CA), as an operator would
    // its lines are the launcher's output too: records of service vnfctl, as every other line
    const p = spawn(process.execPath, [vnfctl, '-s', server, 'deploy', file, '--wait'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...identity },
    });
    const read = [p.stdout, p.stderr].map(
      (s, i) =>
        new Promise((done) =>
          createInterface({ input: s })
            .on('line', (l) => print(parseLine('vnfctl', l, i ? 'stderr' : 'stdout')))
            .once('close', done),
        ),
    );
    p.on('exit', (c) => void Promise.all(read).then(() => res(c ?? 1)));
  });
  if (code !== 0) return false;
  const ask = async <T>(subject: string, body: unknown) => (await nc.request(subject, JSON.stringify(body), { timeout: 5000 })).json<T>();
  const vnfs = await Query.listAll(
    (s, b) => ask<Query.VnfListReply>(s, b),
    Query.Subject.vnfList,
    {},
    (r) => r.vnfs,
  );
  // each whole: the list's summaries have no nodes
  for (const { name } of vnfs) {
    const { vnf } = await ask<Query.VnfGetReply>(Query.Subject.vnfGet, { vnf: name });
    for (const url of vnf ? entryUrls(vnf) : []) log(`${name}: curl ${url}`);
  }
  return true;
}

/** The clusters no other cluster depends on are where clients come in (the frontends). */
export function entryUrls(v: Records.VnfRecord): string[] {
  const used = new Set(v.descriptor.clusters.flatMap((c) => c.dependsOn ?? []));
  return v.descriptor.clusters.filter((c) => !used.has(c.name)).flatMap((c) => (v.nodes[c.name] ?? []).map((n) => `http://${n.address}:${n.port}/`));
}
