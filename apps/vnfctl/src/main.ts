#!/usr/bin/env node
import { Command, Option } from 'commander';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Deploy, errorBody, Events, Lifecycle, Query, Records, type Descriptor } from '@vnf-lcm/contracts';
import { failure, open, RequestFailed, type Conn } from './client.js';
import { readDescriptor } from './descriptor-file.js';
import { parseEvent, warnSkipped } from './event.js';
import { followVnf } from './follow.js';
import { printEvent, printOp, printOps, printVnf } from './print.js';

const program = new Command('vnfctl')
  .description('drive vnf-lcm: deploy VNFs, follow their operations, read their traces')
  .addOption(new Option('-s, --server <url>', 'NATS server').env('NATS_URL').default('nats://127.0.0.1:4222'))
  .addOption(new Option('--creds <file>', 'NATS credentials file (user JWT and seed)').env('NATS_CREDS'))
  .addOption(new Option('--tls-ca <file>', "CA that signed the server's certificate: TLS, verified").env('NATS_TLS_CA'))
  .option('--timeout <ms>', 'request timeout', (v) => parseInt(v, 10), 10_000)
  .option('--json', 'machine-readable output (JSON)');

type Globals = { server: string; creds?: string; tlsCa?: string; timeout: number; json?: boolean };
const g = () => program.opts<Globals>();

/** Runs a command with a connection; structured errors go to stderr and exit 2. */
function withConn(fn: (c: Conn, ...args: any[]) => Promise<number | void>) {
  return async (...args: any[]) => {
    let c: Conn | undefined;
    try {
      // an empty NATS_CREDS / --creds '' means none, as for the services
      c = await open(g().server, g().timeout, { creds: g().creds || undefined, tlsCa: g().tlsCa || undefined });
      process.exitCode = (await fn(c, ...args)) ?? 0;
    } catch (err) {
      const body = failure(err, c).body;
      if (g().json) process.stderr.write(JSON.stringify({ error: body }) + '\n');
      else process.stderr.write(`error: ${body.err_code}: ${body.description}\n`);
      if (!g().json && (body as { details?: { issues?: { field: string; message: string }[] } }).details?.issues)
        for (const i of (body as { details: { issues: { field: string; message: string }[] } }).details.issues)
          process.stderr.write(`  ${i.field}: ${i.message}\n`);
      process.exitCode = 2;
    } finally {
      await c?.close().catch(() => undefined);
    }
  };
}

program
  .command('deploy <file>')
  .description('deploy the VNF a descriptor file describes')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(
    withConn(async (c, file: string, o: { wait?: boolean }) => {
      const descriptor = readDescriptor(file) as Descriptor.VnfDescriptor;
      const started = Date.now();
      const follow = o.wait ? followVnf(c.nc, c.request, String(descriptor?.name), (e) => printEvent(e, g().json, started), g().json) : undefined;
      const reply = await c.request<Deploy.Reply>(Deploy.Subject, { descriptor }).catch((e) => {
        follow?.stop();
        throw e;
      });
      if (g().json) console.log(JSON.stringify(reply));
      else console.log(reply.created ? `operation ${reply.op}: ${reply.message}` : reply.message);
      if (!follow || !reply.created) return follow?.stop();
      const progress = follow.track(reply.op);
      const state = await progress.done;
      progress.stop();
      if (!g().json) console.log(`operation ${reply.op} ${state} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
      return state === Records.OpState.completed ? 0 : 1;
    }),
  );

program
  .command('status [vnf]')
  .description('VNF instances, their clusters and nodes')
  .action(
    withConn(async (c, vnf?: string) => {
      const vnfs = vnf ? [(await c.request<Query.VnfGetReply>(Query.Subject.vnfGet, { vnf })).vnf] : (await c.request<Query.VnfListReply>(Query.Subject.vnfList, {})).vnfs;
      if (g().json) return void console.log(JSON.stringify(vnf ? vnfs[0] : vnfs));
      if (!vnfs.length) console.log('no vnf');
      vnfs.forEach(printVnf);
    }),
  );

program
  .command('ops [vnf]')
  .description('operations, oldest first')
  .action(
    withConn(async (c, vnf?: string) => {
      const { ops } = await c.request<Query.OpListReply>(Query.Subject.opList, vnf ? { vnf } : {});
      if (g().json) return void console.log(JSON.stringify(ops));
      printOps(ops);
    }),
  );

program
  .command('op <id-or-action> [id]')
  .description('one operation with its steps; or act on one: op retry|rollback|fail|cancel <id>')
  .option('--then <what>', 'after cancel: rollback or fail', 'rollback')
  .option('-w, --wait', 'with an action: return when the operation ends')
  .action(
    withConn(async (c, first: string, id: string | undefined, o: { then: string; wait?: boolean }) => {
      const action = ACTIONS[first as keyof typeof ACTIONS];
      if (!action) {
        const { op } = await c.request<Query.OpGetReply>(Query.Subject.opGet, { op: first });
        // a running operation also says what it waits on right now, from its trace
        const waiting = Records.FINAL_STATES.includes(op.state) ? [] : (await c.request<Query.OpTraceReply>(Query.Subject.opTrace, { op: first })).waiting;
        if (g().json) return void console.log(JSON.stringify(waiting.length ? { ...op, waiting } : op));
        return void printOp(op, waiting);
      }
      if (!id) throw new RequestFailed({ code: 400, err_code: 'invalid_request', description: `op ${first} needs an operation id` });
      const { op } = await c.request<Query.OpGetReply>(Query.Subject.opGet, { op: id });
      const body = first === 'cancel' ? { op: id, then: o.then } : { op: id };
      return follow(c, op.vnf, !!o.wait, () => c.request<Query.ActionReply>(action, body).then((r) => ({ ...r, created: true })), id);
    }),
  );

const ACTIONS = { retry: Query.Action.retry, rollback: Query.Action.rollback, fail: Query.Action.fail, cancel: Query.Action.cancel } as const;

/**
 * Sends a request that starts (or acts on) an operation, then with --wait prints its progress
 * and returns 0 only if it completed.
 */
async function follow(c: Conn, vnf: string, wait: boolean, send: () => Promise<{ op: string; message: string; created?: boolean }>, known?: string): Promise<number | void> {
  const started = Date.now();
  const f = wait ? followVnf(c.nc, c.request, vnf, (e) => printEvent(e, g().json, started), g().json) : undefined;
  const reply = await send().catch((e) => {
    f?.stop();
    throw e;
  });
  if (g().json) console.log(JSON.stringify(reply));
  else console.log(reply.message);
  if (!f) return;
  const progress = f.track(known ?? reply.op);
  const state = await progress.done;
  progress.stop();
  if (!g().json) console.log(`operation ${reply.op} ${state} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  return state === Records.OpState.completed ? 0 : 1;
}

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RequestFailed({ code: 400, err_code: 'invalid_request', description: `not a node count: ${v}` });
  return n;
};

for (const [name, subject] of [
  ['scale-out', Lifecycle.Subject.scaleOut],
  ['scale-in', Lifecycle.Subject.scaleIn],
] as const)
  program
    .command(`${name} <vnf> <cluster>`)
    .description(`${name} a cluster: to --nodes N, or by --by N (default by 1)`)
    .option('--nodes <n>', 'node count to reach')
    .option('--by <n>', 'how many nodes')
    .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
    .action(
      withConn(async (c, vnf: string, cluster: string, o: { nodes?: string; by?: string; wait?: boolean }) => {
        const body = { vnf, cluster, ...(o.nodes !== undefined ? { nodes: count(o.nodes) } : {}), ...(o.by !== undefined ? { by: count(o.by) } : {}) };
        return follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(subject, body));
      }),
    );

program
  .command('heal <vnf> <node>')
  .description('replace a node with a fresh one')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(withConn(async (c, vnf: string, node: string, o: { wait?: boolean }) => follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(Lifecycle.Subject.heal, { vnf, node }))));

program
  .command('upgrade <vnf> <cluster>')
  .description('replace every node by one running --version, one at a time')
  .requiredOption('--version <v>', 'a version from the cluster\'s versions')
  .option('--no-rollback', 'leave added nodes in place if a new node fails (FAILED_TEMP)')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(
    withConn(async (c, vnf: string, cluster: string, o: { version: string; rollback: boolean; wait?: boolean }) =>
      follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(Lifecycle.Subject.upgrade, { vnf, cluster, version: o.version, rollback: o.rollback })),
    ),
  );

program
  .command('migrate <vnf> <cluster>')
  .description('replace every node by one on a virtual host of --zone, one at a time')
  .requiredOption('--zone <z>', 'a zone of the VIM adapter')
  .option('--no-rollback', 'leave added nodes in place if a new node fails (FAILED_TEMP)')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(
    withConn(async (c, vnf: string, cluster: string, o: { zone: string; rollback: boolean; wait?: boolean }) =>
      follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(Lifecycle.Subject.migrate, { vnf, cluster, zone: o.zone, rollback: o.rollback })),
    ),
  );

program
  .command('terminate <vnf>')
  .description('remove every node, clients first; the VNF stays NOT_INSTANTIATED, to be deployed again')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(withConn(async (c, vnf: string, o: { wait?: boolean }) => follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(Lifecycle.Subject.terminate, { vnf }))));

program
  .command('trace <op>')
  .description("an operation's messages as websequencediagrams text")
  .action(
    withConn(async (c, op: string) => {
      const t = await c.request<Query.OpTraceReply>(Query.Subject.opTrace, { op });
      if (g().json) return void console.log(JSON.stringify(t));
      process.stdout.write(t.wsd);
    }),
  );

program
  .command('logs <node>')
  .description("a node's log: its application's (default) or its agent's; --follow keeps printing new lines")
  .option('-f, --follow', 'keep printing new lines (every 500 ms) until Ctrl-C')
  .option('-n, --tail <n>', 'how many of the last lines (1..10000)', (v) => parseInt(v, 10), 100)
  .option('--app', "the application's log (the default)")
  .option('--agent', "the node agent's own log")
  .action(
    withConn(async (c, node: string, o: { follow?: boolean; tail: number; app?: boolean; agent?: boolean }) => {
      if (o.app && o.agent) throw new RequestFailed(errorBody('invalid_request', 'give --app or --agent, not both'));
      const source: Query.LogSource = o.agent ? 'agent' : 'app';
      const show = (r: Query.NodeLogsReply) => {
        if (g().json) return void console.log(JSON.stringify(r));
        if (r.truncated) process.stderr.write(`(${node}: older lines left out: the reply is limited to ${Query.LOGS_MAX_BYTES / 1024} KB)\n`);
        for (const l of r.lines) process.stdout.write(`${l}\n`);
      };
      let r = await c.request<Query.NodeLogsReply>(Query.Subject.nodeLogs, { node, tail: o.tail, source });
      show(r);
      if (!o.follow) return;
      let stopped = false;
      let wake: (() => void) | undefined;
      const stop = () => {
        stopped = true;
        wake?.();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      while (!stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 500);
        });
        if (stopped) break;
        r = await c.request<Query.NodeLogsReply>(Query.Subject.nodeLogs, { node, tail: 10_000, source, cursor: r.cursor });
        if (r.lines.length || r.truncated) show(r);
      }
    }),
  );

program
  .command('events [vnf]')
  .description('notifications so far (from the event stream); --follow keeps listening')
  .option('-f, --follow', 'keep printing new events')
  .action(
    withConn(async (c, vnf: string | undefined, o: { follow?: boolean }) => {
      const filter = vnf ? `${Events.SubjectPrefix}.${vnf}.*` : Events.ALL;
      const consumer = await jetstream(c.nc).consumers.get(Events.STREAM, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
      const messages = await consumer.consume();
      const stopIdle = () => setTimeout(() => messages.stop(), 500);
      let idle = o.follow ? undefined : stopIdle();
      for await (const m of messages) {
        // a message that is no event is skipped with a line on stderr; the ones after it still print
        const p = parseEvent(m.data);
        if ('event' in p) printEvent(p.event, g().json);
        else warnSkipped(p.bad, { seq: m.seq, subject: m.subject }, g().json);
        if (idle) {
          clearTimeout(idle);
          idle = m.info.pending === 0 ? setTimeout(() => messages.stop(), 0) : stopIdle();
        }
      }
    }),
  );

await program.parseAsync();
