import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { jetstream } from '@nats-io/jetstream';
import { Access, Events, Query, type Descriptor, type Records } from '@vnf-lcm/contracts';
import { SEQUENCES } from './support/seqcheck.js';
import { ROOT, System } from './support/system.js';

/**
 * vnfctl as an operator runs it: the built CLI as a subprocess against a whole vnf-lcm, its
 * exit codes (0 done, 1 operation did not complete or request refused or unreachable, 2 a wrong
 * command line: test/vnfctl-habits.test.ts), its text
 * and its --json output.
 */
const sys = new System(45);
const CLI = join(ROOT, 'apps/vnfctl/dist/main.js');
const T = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `vnfctl -s <our server> ...args` as DevOps (its credentials and our CA in NATS_CREDS and
 * NATS_TLS_CA, when the system is secured); `server: null` leaves the server to NATS_URL; `as`
 * another role, or `null` for no credentials at all.
 */
function vnfctl(args: string[], o: { server?: string | null; env?: NodeJS.ProcessEnv; timeoutMs?: number; as?: Access.Role | null } = {}): Promise<Run> {
  const server = o.server === undefined ? sys.nats.url : o.server;
  const env = { ...cliEnv(o.as === undefined ? Access.Role.devops : o.as), ...o.env };
  if (o.env?.NATS_URL === undefined) delete env.NATS_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...(server ? ['-s', server] : []), ...args], { env, timeout: o.timeoutMs ?? 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** the environment vnfctl runs in: no NATS_* of the test runner's own, a role's identity if any */
function cliEnv(as: Access.Role | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NATS_URL', 'NATS_CREDS', 'NATS_TLS_CA']) delete env[k];
  if (as) Object.assign(env, sys.envOf(as));
  else if (sys.security?.tls) env.NATS_TLS_CA = sys.security.tls.ca;
  return env;
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim());
const jsonLines = (s: string) => lines(s).map((l) => JSON.parse(l));

/** web.yaml under another name (and changes), written where only an absolute cwd works */
function descriptorFile(name: string, change: (d: Descriptor.VnfDescriptor) => void): string {
  const d = parse(readFileSync(join(ROOT, 'examples/web.yaml'), 'utf8')) as Descriptor.VnfDescriptor;
  d.name = name;
  for (const c of d.clusters) c.app.cwd = join(ROOT, 'examples/apps');
  change(d);
  const file = join(sys.dir, `${name}.yaml`);
  writeFileSync(file, stringify(d));
  return file;
}

let follower: ChildProcess | undefined;

beforeAll(() => sys.start(), 60_000);
afterAll(async () => {
  follower?.kill('SIGKILL');
  await sys.stop();
}, 60_000);

describe('vnfctl deploy --wait, then reading what it did', () => {
  let op: string;

  test(
    'prints one progress line per notify and a final COMPLETED line, and exits 0',
    async () => {
      const r = await vnfctl(['deploy', join(ROOT, 'examples/web.yaml'), '--wait']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      op = /^operation (\S+): /.exec(out[0])![1];
      expect(out.filter((l) => l.includes('activate virtual host'))).toHaveLength(5);
      expect(out.filter((l) => l.includes('activate application'))).toHaveLength(5);
      expect(out.filter((l) => l.includes('scale-out cluster'))).toHaveLength(5);
      expect(out[out.length - 1]).toMatch(new RegExp(`^operation ${op} COMPLETED in \\d+\\.\\d+ s$`));
      expect((await sys.vnf('web')).state).toBe('INSTANTIATED');
    },
    T,
  );

  test(
    'status web lists the five nodes with their URLs (server from NATS_URL)',
    async () => {
      const r = await vnfctl(['status', 'web'], { server: null, env: { NATS_URL: sys.nats.url } });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^web {2}INSTANTIATED/);
      const urls = lines(r.stdout).flatMap((l) => /http:\/\/127\.45\.\d+\.\d+:\d+/.exec(l) ?? []);
      expect(urls).toHaveLength(5);
      const v = await sys.vnf('web');
      const want = Object.values(v.nodes)
        .flat()
        .map((n) => `http://${n.address}:${n.port}`);
      expect(urls.sort()).toEqual(want.sort());
    },
    T,
  );

  test(
    'its trace fits deployment.wsd according to shared/tools/seqcheck.py',
    async () => {
      const r = await vnfctl(['trace', op]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^title /);
      const file = join(sys.dir, 'vnfctl.trace.wsd');
      writeFileSync(file, r.stdout);
      const check = await new Promise<Run>((resolve) =>
        execFile(
          'python3',
          [join(SEQUENCES, '..', 'tools', 'seqcheck.py'), join(SEQUENCES, 'deployment.wsd'), file, '--count', 'AO->+VIM:activate virtual host=5'],
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        ),
      );
      expect(check).toMatchObject({ code: 0 });
      expect(check.stdout).toMatch(/fits/);
    },
    T,
  );

  test(
    '--json: status, ops, op and trace print parseable JSON',
    async () => {
      const status = await vnfctl(['status', '--json']);
      expect(status.code).toBe(0);
      const vnfs = JSON.parse(status.stdout) as Records.VnfRecord[];
      expect(vnfs.map((v) => v.name)).toContain('web');
      const one = JSON.parse((await vnfctl(['status', 'web', '--json'])).stdout) as Records.VnfRecord;
      expect(Object.values(one.nodes).flat()).toHaveLength(5);

      const ops = JSON.parse((await vnfctl(['ops', 'web', '--json'])).stdout) as Records.OpRecord[];
      expect(ops.map((o) => o.id)).toEqual([op]);

      const rec = JSON.parse((await vnfctl(['op', op, '--json'])).stdout) as Records.OpRecord;
      expect(rec).toMatchObject({ id: op, vnf: 'web', algorithm: 'deployment', state: 'COMPLETED' });

      const trace = JSON.parse((await vnfctl(['trace', op, '--json'])).stdout) as Query.OpTraceReply;
      expect(trace.op).toBe(op);
      expect(trace.wsd).toContain('DevOps->AO: request\\nupdate');
      expect(trace.entries).toBeGreaterThan(100);
    },
    T,
  );

  test(
    'events web prints the past events and exits',
    async () => {
      const started = Date.now();
      const r = await vnfctl(['events', 'web'], { timeoutMs: 20_000 });
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      const out = lines(r.stdout);
      expect(out.filter((l) => l.includes('activate virtual host'))).toHaveLength(5);
      expect(out[out.length - 1]).toMatch(/operation +COMPLETED$/);
      const json = jsonLines((await vnfctl(['events', 'web', '--json'])).stdout) as Events.Event[];
      expect(json.every((e) => e.vnf === 'web' && e.op === op)).toBe(true);
      expect(json.filter((e) => e.step === 'activate virtual host')).toHaveLength(5);
    },
    T,
  );
});

describe('following', () => {
  test(
    'events --follow prints the past, keeps running and prints the events of a new deployment; deploy --wait --json prints JSON lines',
    async () => {
      let out = '';
      follower = spawn(process.execPath, [CLI, '-s', sys.nats.url, 'events', '--follow'], {
        env: cliEnv(Access.Role.devops),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      follower.stdout!.on('data', (d) => (out += d));
      const until = async (ok: () => boolean, what: string) => {
        for (const deadline = Date.now() + 30_000; !ok(); await new Promise((r) => setTimeout(r, 50)))
          if (Date.now() > deadline) throw new Error(`follower: no ${what} in:\n${out}`);
      };
      await until(() => /web .*operation +COMPLETED/.test(out), 'past events');

      const file = descriptorFile('small', (d) => {
        d.clusters = [d.clusters[0]];
        d.clusters[0].nodes = 1;
      });
      const r = await vnfctl(['deploy', file, '--wait', '--json']);
      expect(r.code).toBe(0);
      const [reply, ...events] = jsonLines(r.stdout);
      expect(reply).toMatchObject({ vnf: 'small', created: true, state: expect.any(String) });
      expect(events.length).toBeGreaterThan(3);
      expect(events.every((e: Events.Event) => e.op === reply.op && e.vnf === 'small')).toBe(true);
      expect(events.filter((e: Events.Event) => e.step === 'activate virtual host')).toHaveLength(1);
      expect(events[events.length - 1]).toMatchObject({ step: 'operation', state: 'COMPLETED' });

      await until(() => /small .*operation +COMPLETED/.test(out), 'new events');
      expect(lines(out).filter((l) => /^\S+ +small +activate virtual host/.test(l))).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1000));
      expect(follower.exitCode).toBeNull();
      const exited = new Promise((r) => follower!.once('exit', r));
      follower.kill('SIGTERM');
      await exited;
    },
    T,
  );
});

describe('failures and their exit codes', () => {
  test(
    'a descriptor with a dependency cycle exits 1 and names the field, in text and in JSON',
    async () => {
      const file = descriptorFile('cycle', (d) => (d.clusters[0].dependsOn = ['frontend']));
      const r = await vnfctl(['deploy', file, '--wait']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: invalid_descriptor: /);
      expect(r.stderr).toMatch(/\/clusters\/\d\/dependsOn/);
      expect(r.stderr).toMatch(/cycle/);

      const j = await vnfctl(['deploy', file, '--json']);
      expect(j.code).toBe(1);
      const body = JSON.parse(j.stderr);
      expect(body).toEqual({ error: expect.objectContaining({ code: 422, err_code: 'invalid_descriptor' }) });
      expect(JSON.stringify(body.error.details)).toMatch(/\/clusters\/\d\/dependsOn/);
    },
    T,
  );

  test(
    'a name that is no NATS subject token is refused by the AO, not by the CLI crashing on it',
    async () => {
      const file = descriptorFile('x', (d) => (d.name = 'Bad Name'));
      const r = await vnfctl(['deploy', file, '--wait']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: invalid_descriptor: \/name/);
    },
    T,
  );

  test(
    'an unreachable server exits 1 with err_code unavailable',
    async () => {
      const r = await vnfctl(['status', '--json'], { server: 'nats://127.0.0.1:1' });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stderr)).toEqual({ error: expect.objectContaining({ code: 503, err_code: 'unavailable' }) });
      const t = await vnfctl(['deploy', join(ROOT, 'examples/web.yaml'), '--wait'], { server: 'nats://127.0.0.1:1' });
      expect(t.code).toBe(1);
      expect(t.stderr).toMatch(/^error: unavailable: /);
    },
    T,
  );

  test(
    'unknown operation or VNF exits 1 with not_found',
    async () => {
      for (const args of [
        ['op', 'nope'],
        ['trace', 'nope'],
        ['status', 'nope'],
      ]) {
        const r = await vnfctl([...args, '--json']);
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stderr).error.err_code).toBe('not_found');
      }
    },
    T,
  );

  test(
    'deploy --wait of a VNF whose application never becomes healthy exits 1',
    async () => {
      const file = descriptorFile('sick', (d) => {
        const backend = d.clusters.find((c) => c.name === 'backend')!;
        backend.app.env = { BACKEND_UNHEALTHY: '1' };
        backend.health = { ...backend.health!, timeoutMs: 1000 };
      });
      const r = await vnfctl(['deploy', file, '--wait']);
      expect(r.code).toBe(1);
      const out = lines(r.stdout);
      expect(out[out.length - 1]).toMatch(/^operation \S+ (FAILED_TEMP|FAILED|ROLLED_BACK) in /);
      expect(out.some((l) => l.includes('activate application'))).toBe(false);

      // marked failed, then deployed again with the cause removed: the new descriptor is the VNF's
      const sick = (await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'sick' })).ops[0];
      expect((await vnfctl(['op', 'fail', sick.id])).code).toBe(0);
      const fixed = descriptorFile('sick', (d) => (d.clusters.find((c) => c.name === 'backend')!.nodes = 1));
      expect((await vnfctl(['deploy', fixed, '--wait'])).code).toBe(0);
      const v = await sys.vnf('sick');
      expect(v.state).toBe('INSTANTIATED');
      expect(v.descriptor.clusters.find((c) => c.name === 'backend')!.app.env).toBeUndefined();
    },
    T,
  );

  test(
    'op <id> of a running operation says what it waits on, which node, since when; once done, nothing',
    async () => {
      const file = descriptorFile('slow', (d) => {
        const backend = d.clusters.find((c) => c.name === 'backend')!;
        backend.nodes = 1;
        backend.app.env = { BACKEND_START_DELAY_MS: '4000' };
        d.clusters.find((c) => c.name === 'frontend')!.nodes = 1;
      });
      const op = /^operation (\S+): /.exec((await vnfctl(['deploy', file])).stdout)![1];
      type Waiting = { op: string; waiting?: { from: string; to: string; label: string; node?: string }[] };
      let rec: Waiting = { op };
      for (let i = 0; i < 100 && !rec.waiting?.some((w) => w.label === 'start application'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        rec = JSON.parse((await vnfctl(['op', op, '--json'])).stdout);
      }
      expect(rec.waiting!.map((w) => `${w.from}->${w.to}: ${w.label} ${w.node ?? ''}`.trim())).toEqual([
        'AO->VNFM: activate application slow-backend-1',
        'VNFM->VNF: start application slow-backend-1',
      ]);
      const text = await vnfctl(['op', op]);
      expect(text.stdout).toMatch(/^ {2}waiting +VNFM->VNF: start application +slow-backend-1 +for \d+\.\d s$/m);
      expect((await sys.waitOp(op)).state).toBe('COMPLETED');
      expect(JSON.parse((await vnfctl(['op', op, '--json'])).stdout).waiting).toBeUndefined();
      expect((await vnfctl(['op', op])).stdout).not.toMatch(/waiting/);
    },
    T,
  );
});

describe('credentials', () => {
  test(
    "with DevOps's credentials vnfctl lists the VNFs; without any the server's refusal is said as such, exit 1",
    async () => {
      if (!sys.security) return; // an open server (System without auth) needs none
      const r = await vnfctl(['status', '--json']);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as Records.VnfRecord[]).map((v) => v.name)).toContain('web');

      const none = await vnfctl(['status', '--json'], { as: null });
      expect(none.code).toBe(1);
      expect(none.stdout).toBe('');
      const { error } = JSON.parse(none.stderr);
      expect(error).toMatchObject({ code: 503, err_code: 'unavailable' });
      expect(error.description).toMatch(/^authorization violation: .*check --creds/);

      const text = await vnfctl(['status'], { as: null });
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(/^error: unavailable: authorization violation: /);
      expect(text.stderr).not.toMatch(/no service answers|\n\s+at /);
    },
    T,
  );

  test(
    'a --creds file that does not exist: structured error, exit 1, no stack trace',
    async () => {
      const missing = join(sys.dir, 'nope.creds');
      const r = await vnfctl(['--creds', missing, 'status']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`error: invalid_request: cannot read credentials file (NATS_CREDS / --creds) ${missing}: ENOENT\n`);
      const j = await vnfctl(['status', '--json'], { env: { NATS_CREDS: missing } });
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stderr)).toEqual({ error: { code: 400, err_code: 'invalid_request', description: expect.stringContaining(missing) } });
    },
    T,
  );
});

describe('malformed events in the event stream', () => {
  const event = (vnf: string, op: string, state: string): Events.Event =>
    ({ op, vnf, algorithm: 'deployment', step: 'operation', state, ts: new Date().toISOString() }) as Events.Event;
  /** publishes into VNF_EVENTS (the services created it) and returns the stream sequence */
  const put = async (vnf: string, body: unknown) =>
    (await jetstream(sys.nc).publish(Events.subject(vnf, 'op-junk'), typeof body === 'string' ? body : JSON.stringify(body))).seq;
  const skipped = /^vnfctl: skipped a malformed event \(stream seq (\d+), subject vnf\.evt\.junk\.op-junk\): (.+)$/;

  test(
    'events (and events --json) print the good events before and after them, one warning line each on stderr, exit 0',
    async () => {
      await put('junk', event('junk', 'op-junk', 'PROCESSING'));
      const notJson = await put('junk', 'this is not {json');
      const notEvent = await put('junk', { hello: 'world' });
      await put('junk', event('junk', 'op-junk', 'COMPLETED'));

      const r = await vnfctl(['events', 'junk'], { timeoutMs: 20_000 });
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out).toHaveLength(2);
      expect(out[0]).toMatch(/junk +operation +PROCESSING$/);
      expect(out[1]).toMatch(/junk +operation +COMPLETED$/);
      const warnings = lines(r.stderr).map((l) => skipped.exec(l));
      expect(warnings.map((m) => m && [Number(m[1]), m[2]])).toEqual([
        [notJson, 'not JSON'],
        [notEvent, 'no string op, vnf, step, state, ts'],
      ]);

      const j = await vnfctl(['events', 'junk', '--json'], { timeoutMs: 20_000 });
      expect(j.code).toBe(0);
      expect(jsonLines(j.stdout).map((e: Events.Event) => e.state)).toEqual(['PROCESSING', 'COMPLETED']);
      expect(jsonLines(j.stderr).map((w) => w.warning.stream_seq)).toEqual([notJson, notEvent]);
    },
    T,
  );

  test(
    'events --follow skips a malformed event that comes while it follows and prints the next good one',
    async () => {
      const f = spawn(process.execPath, [CLI, '-s', sys.nats.url, 'events', 'junk', '--follow'], {
        env: cliEnv(Access.Role.devops),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      f.stdout!.on('data', (d) => (out += d));
      f.stderr!.on('data', (d) => (err += d));
      const until = async (ok: () => boolean, what: string) => {
        for (const deadline = Date.now() + 30_000; !ok(); await new Promise((r) => setTimeout(r, 50)))
          if (Date.now() > deadline) throw new Error(`follower: no ${what} in:\n${out}\n${err}`);
      };
      try {
        await until(() => /COMPLETED/.test(out) && lines(err).length === 2, 'past events');
        await put('junk', '\u0000\u0001 binary');
        await put('junk', event('junk', 'op-junk', 'ROLLED_BACK'));
        await until(() => /ROLLED_BACK/.test(out), 'event after a malformed one');
        expect(lines(err)).toHaveLength(3);
        expect(lines(err).every((l) => skipped.test(l))).toBe(true);
        expect(f.exitCode).toBeNull();
      } finally {
        const exited = new Promise((r) => f.once('exit', r));
        f.kill('SIGTERM');
        await exited;
      }
    },
    T,
  );

  test(
    "deploy --wait follows to the end although malformed messages come on the VNF's event subjects",
    async () => {
      const file = descriptorFile('noisy', (d) => {
        d.clusters = [d.clusters[0]];
        d.clusters[0].nodes = 1;
      });
      let stop = false;
      const noise = (async () => {
        for (let i = 0; !stop; i++) {
          sys.nc.publish(Events.subject('noisy', 'junk'), i % 2 ? 'not json' : JSON.stringify({ op: 42 }));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const r = await vnfctl(['deploy', file, '--wait']).finally(() => (stop = true));
      await noise;
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out.filter((l) => l.includes('activate virtual host'))).toHaveLength(1);
      expect(out[out.length - 1]).toMatch(/^operation \S+ COMPLETED in /);
      const warnings = lines(r.stderr);
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.every((l) => /^vnfctl: skipped a malformed event \(subject vnf\.evt\.noisy\.junk\): (not JSON|no string op)/.test(l))).toBe(true);
    },
    T,
  );
});
