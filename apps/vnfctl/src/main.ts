#!/usr/bin/env node
import { Argument, Command, CommanderError, Help, InvalidArgumentError, Option } from 'commander';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Deploy, errorBody, Events, Lifecycle, Query, Records, type Descriptor } from '@vnf-lcm/contracts';
import { failure, open, RequestFailed, type Conn } from './client.js';
import { readDescriptor } from './descriptor-file.js';
import { parseEvent, warnSkipped } from './event.js';
import { followVnf } from './follow.js';
import { printEvent, printOp, printOps, printVnf, printVnfLines, printVnfSummary } from './print.js';
import { completion, SHELLS, type Shell } from './completion.js';
import { renderMermaid } from './render/mermaid.js';
import { renderSvg } from './render/svg.js';
import { parseWsd } from './render/wsd.js';
import { asksVersion, version } from './version.js';
import { watchStatus } from './watch.js';
import { Interrupt } from './interrupt.js';

/**
 * Exit codes, the same for every command: 0 done, 1 the operation failed or the request was
 * refused (an error reply, an unreachable server), 2 the command line itself is wrong (unknown
 * command or option, missing or malformed argument), found before anything is sent.
 */
const Exit = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line vnfctl cannot run: exit 2, nothing sent. */
class UsageError extends RequestFailed {
  constructor(description: string) {
    super(errorBody('invalid_request', description));
  }
}

/** --json anywhere on the line: commander's own errors come before the options are known */
const jsonAsked = () => process.argv.includes('--json');
/** A structured error on stderr: JSON with --json, else `error: <err_code>: <description>`. */
function printError(body: ReturnType<typeof errorBody>) {
  if (g().json || jsonAsked()) return void process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  process.stderr.write(`error: ${body.err_code}: ${body.description}\n`);
  for (const i of (body as { details?: { issues?: { field: string; message: string }[] } }).details?.issues ?? [])
    process.stderr.write(`  ${i.field}: ${i.message}\n`);
}

/** commander's parsers: a malformed value is a usage error (exit 2), said before anything is sent */
const int = (min: number, max: number, what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`not ${what} (${min}..${max}): ${v}`);
  return n;
};

const program = new Command('vnfctl')
  .description('drive vnf-lcm: deploy VNFs, follow their operations, read their traces')
  // set first: commands made after inherit it. Usage errors are thrown, for exit code 2
  .exitOverride()
  .configureOutput({ outputError: (str) => printError(errorBody('invalid_request', str.replace(/^error: /, '').trim())) })
  .addOption(new Option('-s, --server <url>', 'NATS server').env('NATS_URL').default('nats://127.0.0.1:4222'))
  .addOption(new Option('--creds <file>', 'NATS credentials file (user JWT and seed)').env('NATS_CREDS'))
  .addOption(new Option('--tls-ca <file>', "CA that signed the server's certificate: TLS, verified").env('NATS_TLS_CA'))
  .option('--timeout <ms>', 'request timeout', int(1, 3_600_000, 'a number of milliseconds'), 10_000)
  .option('--json', 'machine-readable output (JSON)');

type Globals = { server: string; creds?: string; tlsCa?: string; timeout: number; json?: boolean };
const g = () => program.opts<Globals>();

/**
 * Runs a command with a connection; structured errors go to stderr and exit 1. `check` looks at
 * the command line first: what it throws is a usage error (exit 2), before connecting.
 */
function withConn(fn: (c: Conn, ...args: any[]) => Promise<number | void>, check?: (...args: any[]) => void) {
  return async (...args: any[]) => {
    let c: Conn | undefined;
    try {
      check?.(...args);
      // an empty NATS_CREDS / --creds '' means none, as for the services
      c = await open(g().server, g().timeout, { creds: g().creds || undefined, tlsCa: g().tlsCa || undefined });
      process.exitCode = (await fn(c, ...args)) ?? Exit.ok;
    } catch (err) {
      printError(failure(err, c).body);
      process.exitCode = err instanceof UsageError ? Exit.usage : Exit.failed;
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
      return state === Records.OpState.completed ? Exit.ok : Exit.failed;
    }),
  );

program
  .command('status [vnf]')
  .description("VNF instances, their clusters and nodes; with --watch one VNF's nodes, their health and last heartbeat, until Ctrl-C")
  .option('-W, --watch', 'keep showing the health and last-seen of each node: redrawn on a terminal, a new block on each change otherwise')
  .option('--interval <ms>', 'with --watch: how often to read', int(100, 3_600_000, 'a number of milliseconds'), 1000)
  .action(
    withConn(
      async (c, vnf: string | undefined, o: { watch?: boolean; interval: number }) => {
        if (o.watch) return watch(c, vnf!, o.interval);
        if (vnf) {
          const one = (await c.request<Query.VnfGetReply>(Query.Subject.vnfGet, { vnf })).vnf;
          return void (g().json ? console.log(JSON.stringify(one)) : printVnf(one));
        }
        // every VNF, summarised: their whole records together may outgrow a message; status <vnf> has one whole
        const vnfs = await allVnfs(c);
        if (g().json) return void console.log(JSON.stringify(vnfs));
        if (!vnfs.length) console.log('no vnf');
        vnfs.forEach(printVnfSummary);
      },
      (vnf: string | undefined, o: { watch?: boolean }) => {
        if (o.watch && !vnf) throw new UsageError('status --watch needs a vnf: status <vnf> --watch');
      },
    ),
  );

/** status <vnf> --watch until SIGINT or SIGTERM, which end it with exit 0 */
async function watch(c: Conn, vnf: string, intervalMs: number): Promise<number> {
  const until = new Interrupt();
  const tty = !!process.stdout.isTTY && !g().json;
  await watchStatus(
    c.request,
    { vnf, intervalMs, tty, json: !!g().json, write: (s) => process.stdout.write(s), warn: (s) => process.stderr.write(s) },
    () => until.stopped,
    until.sleep,
  );
  return Exit.ok;
}

program
  .command('list')
  .description('VNF instances, one line each: state, clusters with their node counts, a running operation')
  .action(
    withConn(async (c) => {
      const vnfs = await allVnfs(c);
      if (g().json) return void console.log(JSON.stringify(vnfs));
      printVnfLines(vnfs);
    }),
  );

/** vnf-list page by page (summaries, in name order) */
function allVnfs(c: Conn): Promise<Query.VnfSummary[]> {
  return Query.listAll(
    (s, b) => c.request<Query.VnfListReply>(s, b),
    Query.Subject.vnfList,
    { limit: Query.LIST_MAX_LIMIT },
    (r: Query.VnfListReply) => r.vnfs,
  );
}

program
  .command('ops [vnf]')
  .description('operations, oldest first')
  .action(
    withConn(async (c, vnf?: string) => {
      const ops = await Query.listAll(
        (s, b) => c.request<Query.OpListReply>(s, b),
        Query.Subject.opList,
        vnf ? { vnf, limit: Query.LIST_MAX_LIMIT } : { limit: Query.LIST_MAX_LIMIT },
        (r: Query.OpListReply) => r.ops,
      );
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
    withConn(
      async (c, first: string, id: string | undefined, o: { then: string; wait?: boolean }) => {
        const action = ACTIONS[first as keyof typeof ACTIONS];
        if (!action) {
          const { op, omittedSteps } = await c.request<Query.OpGetReply>(Query.Subject.opGet, { op: first });
          // a running operation also says what it waits on right now, from its trace
          const waiting = Records.FINAL_STATES.includes(op.state) ? [] : (await c.request<Query.OpTraceReply>(Query.Subject.opTrace, { op: first })).waiting;
          if (g().json) return void console.log(JSON.stringify({ ...op, ...(waiting.length ? { waiting } : {}), ...(omittedSteps ? { omittedSteps } : {}) }));
          // a huge operation's reply has its newest steps only
          if (omittedSteps) console.log(`(${omittedSteps} older steps not shown)`);
          return void printOp(op, waiting);
        }
        const { op } = await c.request<Query.OpGetReply>(Query.Subject.opGet, { op: id });
        const body = first === 'cancel' ? { op: id, then: o.then } : { op: id };
        return follow(c, op.vnf, !!o.wait, () => c.request<Query.ActionReply>(action, body).then((r) => ({ ...r, created: true })), id);
      },
      (first: string, id: string | undefined, o: { then: string }) => {
        if (first in ACTIONS && !id) throw new UsageError(`op ${first} needs an operation id`);
        if (!(first in ACTIONS) && id) throw new UsageError(`op takes an operation id, or one of ${Object.keys(ACTIONS).join('|')} and an id`);
        if (!['rollback', 'fail'].includes(o.then)) throw new UsageError(`--then is rollback or fail, not ${o.then}`);
      },
    ),
  );

const ACTIONS = { retry: Query.Action.retry, rollback: Query.Action.rollback, fail: Query.Action.fail, cancel: Query.Action.cancel } as const;

/**
 * Sends a request that starts (or acts on) an operation, then with --wait prints its progress
 * and returns 0 only if it completed.
 */
async function follow(
  c: Conn,
  vnf: string,
  wait: boolean,
  send: () => Promise<{ op: string; message: string; created?: boolean }>,
  known?: string,
): Promise<number | void> {
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
  return state === Records.OpState.completed ? Exit.ok : Exit.failed;
}

const count = int(0, 1_000_000, 'a node count');

for (const [name, subject] of [
  ['scale-out', Lifecycle.Subject.scaleOut],
  ['scale-in', Lifecycle.Subject.scaleIn],
] as const)
  program
    .command(`${name} <vnf> <cluster>`)
    .description(`${name} a cluster: to --nodes N, or by --by N (default by 1)`)
    .option('--nodes <n>', 'node count to reach', count)
    .option('--by <n>', 'how many nodes', count)
    .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
    .action(
      withConn(async (c, vnf: string, cluster: string, o: { nodes?: number; by?: number; wait?: boolean }) => {
        const body = { vnf, cluster, ...(o.nodes !== undefined ? { nodes: o.nodes } : {}), ...(o.by !== undefined ? { by: o.by } : {}) };
        return follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(subject, body));
      }),
    );

program
  .command('heal <vnf> <node>')
  .description('replace a node with a fresh one')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(
    withConn(async (c, vnf: string, node: string, o: { wait?: boolean }) =>
      follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(Lifecycle.Subject.heal, { vnf, node })),
    ),
  );

program
  .command('upgrade <vnf> <cluster>')
  .description('replace every node by one running --version, one at a time')
  .requiredOption('--version <v>', "a version from the cluster's versions")
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

const FORMATS = ['wsd', 'mermaid', 'svg'] as const;
program
  .command('terminate <vnf>')
  .description('remove every node, clients first; the VNF stays NOT_INSTANTIATED, to be deployed again')
  .option('-w, --wait', 'return when the operation ends; non-zero exit unless it completed')
  .action(
    withConn(async (c, vnf: string, o: { wait?: boolean }) => follow(c, vnf, !!o.wait, () => c.request<Lifecycle.Reply>(Lifecycle.Subject.terminate, { vnf }))),
  );

program
  .command('trace <op>')
  .description("an operation's messages as a sequence diagram: websequencediagrams text (default), mermaid, or a self-contained SVG")
  .addOption(new Option('--format <format>', 'wsd, mermaid (a sequenceDiagram) or svg').choices(FORMATS).default('wsd'))
  .action(
    withConn(async (c, op: string, o: { format: (typeof FORMATS)[number] }) => {
      const t = await c.request<Query.OpTraceReply>(Query.Subject.opTrace, { op });
      if (g().json) return void console.log(JSON.stringify(t));
      // the AO's wsd as it is; the others drawn from it, arrow for arrow
      if (o.format === 'wsd') return void process.stdout.write(t.wsd);
      process.stdout.write((o.format === 'mermaid' ? renderMermaid : renderSvg)(parseWsd(t.wsd)));
    }),
  );

program
  .command('logs <node>')
  .description("a node's log: its application's (default) or its agent's; --follow keeps printing new lines")
  .option('-f, --follow', 'keep printing new lines (every 500 ms) until Ctrl-C')
  .option('-n, --tail <n>', 'how many of the last lines (1..10000)', int(1, 10_000, 'a line count'), 100)
  .option('--app', "the application's log (the default)")
  .option('--agent', "the node agent's own log")
  .action(
    withConn(
      async (c, node: string, o: { follow?: boolean; tail: number; app?: boolean; agent?: boolean }) => {
        const source: Query.LogSource = o.agent ? 'agent' : 'app';
        const show = (r: Query.NodeLogsReply) => {
          if (g().json) return void console.log(JSON.stringify(r));
          if (r.truncated) process.stderr.write(`(${node}: older lines left out: the reply is limited to ${Query.LOGS_MAX_BYTES / 1024} KB)\n`);
          for (const l of r.lines) process.stdout.write(`${l}\n`);
        };
        let r = await c.request<Query.NodeLogsReply>(Query.Subject.nodeLogs, { node, tail: o.tail, source });
        show(r);
        if (!o.follow) return;
        const until = new Interrupt();
        while (!until.stopped) {
          await until.sleep(500);
          if (until.stopped) break;
          r = await c.request<Query.NodeLogsReply>(Query.Subject.nodeLogs, { node, tail: 10_000, source, cursor: r.cursor });
          if (r.lines.length || r.truncated) show(r);
        }
      },
      (_node: string, o: { app?: boolean; agent?: boolean }) => {
        if (o.app && o.agent) throw new UsageError('give --app or --agent, not both');
      },
    ),
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

program
  .command('completion')
  .description('print a shell completion script: eval "$(vnfctl completion bash)", or source <(vnfctl completion zsh)')
  .addArgument(new Argument('<shell>', 'bash or zsh').choices(SHELLS))
  .action((shell: Shell) => void process.stdout.write(completion(program, shell)));

/** `--version` is read before commander (see asksVersion); listed in the help all the same */
const VERSION = new Option('-V, --version', 'print the version of vnfctl and exit');
program.configureHelp({ visibleOptions: (cmd) => [...Help.prototype.visibleOptions.call(new Help(), cmd), ...(cmd === program ? [VERSION] : [])] });

if (asksVersion(process.argv.slice(2))) console.log(version());
else
  await program.parseAsync().catch((err: unknown) => {
    if (!(err instanceof CommanderError)) throw err;
    // --help and the like exit 0; every other complaint of commander is about the command line
    process.exitCode = err.exitCode === 0 ? Exit.ok : Exit.usage;
  });
