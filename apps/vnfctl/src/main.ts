#!/usr/bin/env node
import { Command, Option } from 'commander';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Deploy, Events, Query, Records, type Descriptor } from '@vnf-lcm/contracts';
import { open, RequestFailed, type Conn } from './client.js';
import { readDescriptor } from './descriptor-file.js';
import { followVnf } from './follow.js';
import { printEvent, printOp, printOps, printVnf } from './print.js';

const program = new Command('vnfctl')
  .description('drive vnf-lcm: deploy VNFs, follow their operations, read their traces')
  .addOption(new Option('-s, --server <url>', 'NATS server').env('NATS_URL').default('nats://127.0.0.1:4222'))
  .option('--timeout <ms>', 'request timeout', (v) => parseInt(v, 10), 10_000)
  .option('--json', 'machine-readable output (JSON)');

type Globals = { server: string; timeout: number; json?: boolean };
const g = () => program.opts<Globals>();

/** Runs a command with a connection; structured errors go to stderr and exit 2. */
function withConn(fn: (c: Conn, ...args: any[]) => Promise<number | void>) {
  return async (...args: any[]) => {
    let c: Conn | undefined;
    try {
      c = await open(g().server, g().timeout);
      process.exitCode = (await fn(c, ...args)) ?? 0;
    } catch (err) {
      const body = err instanceof RequestFailed ? err.body : { code: 500, err_code: 'internal', description: (err as Error).message };
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
      const follow = o.wait ? followVnf(c.nc, c.request, String(descriptor?.name), (e) => printEvent(e, g().json, started)) : undefined;
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
  .command('op <id>')
  .description('one operation with its steps')
  .action(
    withConn(async (c, id: string) => {
      const { op } = await c.request<Query.OpGetReply>(Query.Subject.opGet, { op: id });
      if (g().json) return void console.log(JSON.stringify(op));
      printOp(op);
    }),
  );

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
        printEvent(m.json<Events.Event>(), g().json);
        if (idle) {
          clearTimeout(idle);
          idle = m.info.pending === 0 ? setTimeout(() => messages.stop(), 0) : stopIdle();
        }
      }
    }),
  );

await program.parseAsync();
