import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Access, Query, type Descriptor } from '@vnf-lcm/contracts';
import { processesUnder, ROOT, System } from './support/system.js';

/**
 * An operator's habits with vnfctl, against a whole vnf-lcm on 127.64/16: exit codes (0 done, 1
 * failed or refused, 2 a wrong command line), --version, shell completion, trace in three
 * formats, status --watch, the installed copy; and the launcher's JSON log lines.
 */
const sys = new System(64);
const CLI = join(ROOT, 'apps/vnfctl/dist/main.js');
const T = 120_000;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<Run> =>
  new Promise((resolve) => {
    const p = execFile(cmd, args, { env: o.env ?? process.env, cwd: o.cwd, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    if (o.input !== undefined) p.stdin!.end(o.input);
  });

/** the environment vnfctl runs in: a role's credentials and our CA, none of the runner's NATS_* */
function cliEnv(as: Access.Role = Access.Role.devops): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NATS_URL', 'NATS_CREDS', 'NATS_TLS_CA']) delete env[k];
  return { ...env, ...sys.envOf(as) };
}

/** `vnfctl -s <our server> ...args`, as DevOps unless told */
const vnfctl = (args: string[], as?: Access.Role) => run(process.execPath, [CLI, '-s', sys.nats.url, ...args], { env: cliEnv(as) });

/** web.yaml with one node per cluster, under another name, its folders absolute */
function descriptorFile(dir: string, name: string): string {
  const d = parse(readFileSync(join(ROOT, 'examples/web.yaml'), 'utf8')) as Descriptor.VnfDescriptor;
  d.name = name;
  for (const c of d.clusters) {
    c.nodes = 1;
    for (const a of [c.app, ...(c.versions ?? [])]) a.cwd = join(ROOT, 'examples/apps');
  }
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(d));
  return file;
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim());
let op: string;

beforeAll(async () => {
  await sys.start();
  const r = await vnfctl(['deploy', descriptorFile(sys.dir, 'habits'), '--wait']);
  if (r.code !== 0) throw new Error(`deploy failed: ${r.stdout}\n${r.stderr}`);
  op = /^operation (\S+): /.exec(r.stdout)![1];
}, T);
afterAll(() => sys.stop(), 60_000);

describe('exit codes', () => {
  test(
    'a wrong command line exits 2 with a structured error, sends nothing, and changes nothing',
    async () => {
      const before = (await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops.length;
      for (const [args, said] of [
        [['bogus'], /unknown command 'bogus'/],
        [['status', '--bogus'], /unknown option '--bogus'/],
        [['trace'], /missing required argument 'op'/],
        [['trace', op, '--format', 'png'], /Allowed choices are wsd, mermaid, svg/],
        [['scale-out', 'habits', 'backend', '--nodes', 'many'], /not a node count/],
        [['op', 'retry'], /op retry needs an operation id/],
        [['logs', 'habits-backend-1', '--app', '--agent'], /--app or --agent, not both/],
        [['status', '--watch'], /status --watch needs a vnf/],
        [['completion', 'fish'], /Allowed choices are bash, zsh/],
        [['upgrade', 'habits', 'backend'], /required option '--version <v>' not specified/],
        [[], /Usage: vnfctl/],
      ] as const) {
        const r = await vnfctl([...args]);
        expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
        expect(r.stderr).toMatch(said);
        if (args.length) expect(r.stderr).toMatch(/^error: invalid_request: /);
        if (!args.length) continue;
        const j = await vnfctl(['--json', ...args]);
        expect(j.code).toBe(2);
        expect(JSON.parse(j.stderr)).toEqual({ error: { code: 400, err_code: 'invalid_request', description: expect.stringMatching(said) } });
      }
      // a usage error is found before connecting: even with no server at all it is a 2
      const offline = await run(process.execPath, [CLI, '-s', 'nats://127.0.0.1:1', 'op', 'retry'], { env: cliEnv() });
      expect(offline.code).toBe(2);
      expect((await sys.req<Query.OpListReply>(Query.Subject.opList, {})).ops).toHaveLength(before);
    },
    T,
  );

  test(
    'an error reply, a refusal or an unreachable server exits 1; --help and a good request exit 0',
    async () => {
      for (const args of [
        ['trace', 'nope'],
        ['status', 'nope'],
        ['op', 'nope'],
        ['status', 'nope', '--watch'],
        ['heal', 'habits', 'habits-backend-99'],
      ]) {
        const r = await vnfctl([...args, '--json']);
        expect({ args, code: r.code }).toEqual({ args, code: 1 });
        expect(JSON.parse(r.stderr).error.err_code).toBe('not_found');
      }
      const unreachable = await run(process.execPath, [CLI, '-s', 'nats://127.0.0.1:1', 'status'], { env: cliEnv() });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/^error: unavailable: /);
      // an observer may read, not deploy: the server refuses, exit 1
      const refused = await vnfctl(['scale-out', 'habits', 'backend'], Access.Role.observer);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: unavailable: permission denied/);
      expect((await vnfctl(['status', 'habits'])).code).toBe(0);
      expect((await vnfctl(['--help'])).code).toBe(0);
      expect((await vnfctl(['trace', '--help'])).code).toBe(0);
    },
    T,
  );
});

test(
  "--version prints package.json's version; after a command --version stays that command's option",
  async () => {
    for (const args of [['--version'], ['-V'], ['--json', '--version']]) {
      const r = await run(process.execPath, [CLI, ...args]);
      expect({ args, ...r }).toEqual({ args, code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
    const upgrade = await run(process.execPath, [CLI, 'upgrade', '--help']);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toMatch(/--version <v> +a version from the cluster's versions/);
  },
  T,
);

test(
  'completion bash loads in bash and completes commands, options and choices; completion zsh is a compdef script',
  async () => {
    const bash = await run(process.execPath, [CLI, 'completion', 'bash']);
    expect(bash.code).toBe(0);
    const file = join(sys.dir, 'vnfctl.bash');
    writeFileSync(file, bash.stdout);
    expect((await run('bash', ['-n', file])).code).toBe(0);
    const complete = async (...words: string[]) => {
      const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _vnfctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = await run('bash', ['-c', script]);
      expect(r.stderr).toBe('');
      return lines(r.stdout).sort();
    };
    expect(await complete('vnfctl', 'tr')).toEqual(['trace']);
    expect(await complete('vnfctl', 's')).toEqual(['scale-in', 'scale-out', 'status']);
    expect(await complete('vnfctl', 'trace', op, '--format', '')).toEqual(['mermaid', 'svg', 'wsd']);
    expect(await complete('vnfctl', '-s', 'nats://x', 'status', '--w')).toEqual(['--watch']);
    expect(await complete('vnfctl', 'completion', '')).toEqual(['bash', 'zsh']);

    const zsh = await run(process.execPath, [CLI, 'completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef vnfctl\n/);
    expect(zsh.stdout).toMatch(/^ {6}trace\) _arguments .*'--format\[.*\]:value:\(wsd mermaid svg\)'/m);
    // zsh parses it (scripts/ensure installs zsh; a machine without it fails here, it is not skipped)
    if ((await run('sh', ['-c', 'command -v zsh'])).code !== 0)
      throw new Error('zsh is not installed (apt-get install zsh): the zsh completion cannot be checked');
    writeFileSync(join(sys.dir, '_vnfctl'), zsh.stdout);
    expect((await run('zsh', ['-n', join(sys.dir, '_vnfctl')])).code).toBe(0);
  },
  T,
);

describe('trace --format', () => {
  let entries: number;
  beforeAll(async () => {
    entries = (JSON.parse((await vnfctl(['trace', op, '--json'])).stdout) as Query.OpTraceReply).entries;
  });

  test(
    "wsd (the default) is the AO's text: one arrow line per trace entry",
    async () => {
      const plain = await vnfctl(['trace', op]);
      const wsd = await vnfctl(['trace', op, '--format', 'wsd']);
      expect(wsd).toEqual(plain);
      expect(wsd.code).toBe(0);
      expect(entries).toBeGreaterThan(20);
      // a VNF's return arrow has no label: `VNF->-VIM:`
      expect(lines(wsd.stdout).filter((l) => /^\w+->[+-]?\w+:/.test(l))).toHaveLength(entries);
      expect(wsd.stdout).toMatch(/^title deployment habits /);
    },
    T,
  );

  test(
    'mermaid: a sequenceDiagram with one message per entry, and every deactivation closing an open activation',
    async () => {
      const r = await vnfctl(['trace', op, '--format', 'mermaid']);
      expect(r.code).toBe(0);
      const ls = lines(r.stdout);
      expect(ls[0]).toBe('sequenceDiagram');
      const msgs = ls.map((l) => /^\s+(\w+)(-->>|->>)([+-]?)(\w+): /.exec(l)).filter((m) => m !== null);
      expect(msgs).toHaveLength(entries);
      const open = new Map<string, number>();
      for (const [, from, , act, to] of msgs) {
        if (act === '+') open.set(to, (open.get(to) ?? 0) + 1);
        if (act === '-') {
          expect(open.get(from) ?? 0).toBeGreaterThan(0);
          open.set(from, open.get(from)! - 1);
        }
      }
      expect(msgs.filter((m) => m[3] === '+').length).toBeGreaterThan(5);
    },
    T,
  );

  test(
    'svg: well-formed XML, self-contained, with an arrow element per entry, a lifeline per participant and activation bars',
    async () => {
      const r = await vnfctl(['trace', op, '--format', 'svg']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/<script|xlink:href|href="http/);
      const count = await run(
        'python3',
        [
          '-c',
          'import sys,xml.etree.ElementTree as E\nr=E.fromstring(sys.stdin.read())\nassert r.tag=="{http://www.w3.org/2000/svg}svg", r.tag\nc=lambda k,t: sum(1 for e in r.iter() if e.tag.endswith("}"+t) and k in (e.get("class") or "").split())\nprint(c("arrow","line")+c("arrow","path"), c("lifeline","line"), c("activation","rect"))',
        ],
        { input: r.stdout },
      );
      expect(count.stderr).toBe('');
      const [arrows, lifelines, bars] = count.stdout.trim().split(' ').map(Number);
      expect(arrows).toBe(entries);
      expect(lifelines).toBe(5);
      expect(bars).toBeGreaterThan(5);
    },
    T,
  );
});

describe('status --watch', () => {
  test(
    'not on a terminal: a new block whenever a heartbeat changed, each node with its health and last-seen; SIGTERM ends it with exit 0',
    async () => {
      const p = spawn(process.execPath, [CLI, '-s', sys.nats.url, 'status', 'habits', '--watch', '--interval', '300'], {
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (err += d));
      const blocks = () => out.split('\n\n').filter((b) => /^habits {2}\d\d:\d\d:\d\d\.\d{3} {2}2 nodes$/m.test(b));
      try {
        for (const deadline = Date.now() + 30_000; blocks().length < 2; await new Promise((r) => setTimeout(r, 100)))
          if (Date.now() > deadline || p.exitCode !== null) throw new Error(`no two blocks: ${out}\n${err}`);
        const [a, b] = blocks();
        for (const block of [a, b]) {
          const nodes = lines(block).filter((l) => /^ {4}\S/.test(l));
          expect(nodes.map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(['habits-backend-1', 'habits-frontend-1']);
          for (const l of nodes) expect(l).toMatch(/ running healthy +last seen \d+\.\d s ago +127\.64\.\d+\.\d+ +v1 +zone local$/);
        }
        // a block comes because something changed: the heartbeats' times differ between the two
        expect(a.replace(/^habits .*$/m, '')).not.toBe(b.replace(/^habits .*$/m, ''));
        expect(out).not.toContain('\x1b[');
      } finally {
        const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
        p.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
      expect(err).toBe('');
    },
    T,
  );

  test(
    '--json: an observer (read-only) gets JSON lines of vnf.ao.node-health, with lastSeen and the app state',
    async () => {
      const p = spawn(process.execPath, [CLI, '-s', sys.nats.url, '--json', 'status', 'habits', '--watch', '--interval', '200'], {
        env: cliEnv(Access.Role.observer),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      p.stdout!.on('data', (d) => (out += d));
      try {
        for (const deadline = Date.now() + 30_000; lines(out).length < 2; await new Promise((r) => setTimeout(r, 100)))
          if (Date.now() > deadline || p.exitCode !== null) throw new Error(`no two lines: ${out}`);
        const [first, second] = lines(out).map((l) => JSON.parse(l) as Query.NodeHealthReply & { ts: string });
        expect(first.vnf).toBe('habits');
        for (const n of first.nodes) {
          expect(n).toMatchObject({ state: expect.any(String), lastSeen: expect.any(String), app: { state: 'running' } });
          expect(n.app!.healthy).not.toBe(false);
        }
        expect(second.nodes.map((n) => n.lastSeen)).not.toEqual(first.nodes.map((n) => n.lastSeen));
      } finally {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGINT');
        await exited;
      }
    },
    T,
  );
});

test(
  'scripts/install-vnfctl.mjs installs one self-contained file under a prefix; run from there it works with no checkout around',
  async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'vnfctl-prefix-'));
    try {
      const inst = await run(process.execPath, [join(ROOT, 'scripts/install-vnfctl.mjs'), '--prefix', prefix], { cwd: ROOT });
      expect(inst.code).toBe(0);
      const bin = join(prefix, 'bin/vnfctl');
      // from / and with a PATH of the prefix and node's own folder only, as an operator's shell
      const env = { ...cliEnv(), PATH: `${join(prefix, 'bin')}:${join(process.execPath, '..')}:/usr/bin:/bin` };
      const v = await run('vnfctl', ['--version'], { env, cwd: '/' });
      expect(v).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
      const s = await run(bin, ['-s', sys.nats.url, 'status', 'habits', '--json'], { env, cwd: '/' });
      expect(s.code).toBe(0);
      expect(JSON.parse(s.stdout).name).toBe('habits');
      expect((await run(bin, ['bogus'], { env, cwd: '/' })).code).toBe(2);
      expect(existsSync(join(prefix, 'share/bash-completion/completions/vnfctl'))).toBe(true);
      expect((await run('bash', ['-n', join(prefix, 'share/bash-completion/completions/vnfctl')])).code).toBe(0);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  },
  T,
);

describe('the launcher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vnf-habits-launcher-'));
  chmodSync(dir, 0o711);
  let launcher: ChildProcess | undefined;
  afterAll(() => {
    if (launcher && launcher.exitCode === null) process.kill(-launcher.pid!, 'SIGKILL');
    for (const pid of processesUnder(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const freePort = () =>
    new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });

  /** the launcher until `ready` says so in its output, then Ctrl-C to its process group; its output and exit code */
  async function launch(extra: string[], ready: RegExp): Promise<{ out: string; code: number | null }> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // far above what this file's System hands out (its lowest free addresses of 127.64.0.0/17)
      VIM_ZONES: JSON.stringify({ defaultZone: 'local', zones: [{ name: 'local', driver: 'process', range: '127.64.250.0/24', root: join(dir, 'hosts') }] }),
    };
    delete env.NATS_URL;
    const args = ['--data', join(dir, 'data'), '--port', String(await freePort()), '--monitor', String(await freePort()), '--fresh', '--teardown', ...extra];
    const p = spawn(process.execPath, [join(ROOT, 'apps/launcher/dist/main.js'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    launcher = p;
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    // close, not exit: its last lines may still be in the pipe when it exits
    const exited = new Promise<number | null>((r) => p.once('close', (code) => r(code)));
    for (const deadline = Date.now() + 90_000; !ready.test(out); await new Promise((r) => setTimeout(r, 100)))
      if (Date.now() > deadline || p.exitCode !== null) throw new Error(`launcher not ready: ${out.slice(-4000)}`);
    process.kill(-p.pid!, 'SIGINT');
    const code = await exited;
    return { out, code };
  }

  test(
    "every line it prints is a JSON object with service: the services' pino lines, nats-server's, vnfctl's and its own",
    async () => {
      const { out, code } = await launch(['--deploy', descriptorFile(dir, 'logs')], /"msg":"running; Ctrl-C stops everything"/);
      expect(code).toBe(0);
      const records = lines(out).map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new Error(`not JSON: ${l}`);
        }
      });
      for (const r of records)
        expect(r).toMatchObject({ service: expect.any(String), level: expect.any(String), msg: expect.any(String), time: expect.any(String) });
      const services = new Set(records.map((r) => r.service));
      expect([...services]).toEqual(expect.arrayContaining(['vnf-lcm', 'nats', 'orchestrator', 'vnfm', 'vim-adapter', 'vnfctl']));
      // a pino line passed on with its own fields; nats-server's own format read into level and msg
      expect(records.some((r) => r.service === 'orchestrator' && r.op !== undefined)).toBe(true);
      expect(records.some((r) => r.service === 'nats' && r.level === 'info' && /Server is ready/.test(String(r.msg)))).toBe(true);
      expect(records.some((r) => r.service === 'vnfctl' && /^operation \S+ COMPLETED in /.test(String(r.msg)))).toBe(true);
      expect(records.some((r) => r.service === 'vnf-lcm' && /^logs: curl http:\/\/127\.64\.250\.\d+:8000\/$/.test(String(r.msg)))).toBe(true);
      expect(records[records.length - 1]).toMatchObject({ service: 'vnf-lcm', msg: 'stopped' });
    },
    T,
  );

  test(
    '--log-format text: time level service msg key=value, for people',
    async () => {
      const { out, code } = await launch(['--log-format', 'text'], / running; Ctrl-C stops everything/);
      expect(code).toBe(0);
      const ls = lines(out);
      for (const l of ls) expect(l).toMatch(/^\d\d:\d\d:\d\d(\.\d{3})? (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S+( |$)/);
      expect(ls.some((l) => /^\S+ INFO {2}orchestrator +\S/.test(l))).toBe(true);
      expect(ls.some((l) => /^\S+ INFO {2}nats +Server is ready/.test(l))).toBe(true);
      expect(ls.some((l) => l.startsWith('{'))).toBe(false);
    },
    T,
  );
});
