import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jwt from '@nats-io/jwt';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import { ensureTls } from '@vnf-lcm/auth';
import { Access, Deploy, Events, Query, type Records } from '@vnf-lcm/contracts';
import { natsServerBinary } from './support/nats-server.js';
import { ROOT } from './support/system.js';

/**
 * vnfctl against a nats-server that requires TLS and credentials (operator mode, JWTs in a memory
 * resolver) and grants each role only what libs/contracts' access table says. No vnf-lcm runs
 * here: an admin connection plays the AO's part, so that what is tested is vnfctl's own handling
 * of credentials, of the server's CA and of the server's refusals.
 */
const CLI = join(ROOT, 'apps/vnfctl/dist/main.js');
const dir = mkdtempSync(join(tmpdir(), 'vnfctl-auth-'));
let server: ChildProcess;
let url: string;
let ao: NatsConnection;
/** the CA that signed the server's certificate */
let ca: string;
/** a credentials file per role, and one of a user no account on the server knows */
const creds: Record<'devops' | 'observer' | 'admin' | 'stranger', string> = { devops: '', observer: '', admin: '', stranger: '' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `vnfctl -s <our server> ...args`, trusting our CA (NATS_TLS_CA) unless `env` says otherwise */
function vnfctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = Date.now();
  const e: NodeJS.ProcessEnv = { ...process.env, NATS_URL: undefined, NATS_CREDS: undefined, NATS_TLS_CA: ca, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, '-s', url, ...args], { env: e, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr, ms: Date.now() - started }),
    ),
  );
}

const LIMITS = { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, leaf: -1 };
const JS_LIMITS = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

/** A user of `account` with a role's grant from the access table, as a credentials file. */
async function userCreds(name: string, account: jwt.KeyPair, role: Access.Role): Promise<string> {
  const g = Access.TABLE[role];
  const ukp = jwt.createUser();
  const token = await jwt.encodeUser(name, ukp, account, {
    tags: [`role:${role}`],
    pub: { allow: g.pub },
    sub: { allow: g.sub },
    ...(g.responds ? { resp: { max: 1, ttl: 0 } } : {}),
  });
  const file = join(dir, `${name}.creds`);
  writeFileSync(file, jwt.fmtCreds(token, ukp));
  return file;
}

async function startOperatorServer(): Promise<void> {
  const op = jwt.createOperator();
  const sys = jwt.createAccount();
  const vnf = jwt.createAccount();
  const opJwt = await jwt.encodeOperator('vnf-lcm-test', op, { system_account: sys.getPublicKey() } as Partial<jwt.Operator>);
  const sysJwt = await jwt.encodeAccount('SYS', sys, { limits: LIMITS } as Partial<jwt.Account>, { signer: op });
  const vnfJwt = await jwt.encodeAccount('VNF', vnf, { limits: { ...LIMITS, ...JS_LIMITS } } as Partial<jwt.Account>, { signer: op });
  writeFileSync(join(dir, 'operator.jwt'), opJwt);
  const tls = ensureTls(join(dir, 'tls'));
  ca = tls.ca;
  writeFileSync(
    join(dir, 'server.conf'),
    [
      'listen: "127.0.0.1:-1"',
      `operator: "${join(dir, 'operator.jwt')}"`,
      `system_account: ${sys.getPublicKey()}`,
      'resolver: MEMORY',
      'resolver_preload: {',
      `  ${sys.getPublicKey()}: "${sysJwt}"`,
      `  ${vnf.getPublicKey()}: "${vnfJwt}"`,
      '}',
      `jetstream: { store_dir: "${join(dir, 'js')}" }`,
      `tls: { cert_file: "${tls.cert}", key_file: "${tls.key}", timeout: 10 }`,
      '',
    ].join('\n'),
  );
  creds.devops = await userCreds('devops', vnf, Access.Role.devops);
  creds.observer = await userCreds('observer', vnf, Access.Role.observer);
  creds.admin = await userCreds('admin', vnf, Access.Role.admin);
  // signed by an account the server was never told about
  creds.stranger = await userCreds('stranger', jwt.createAccount(), Access.Role.devops);

  server = spawn(natsServerBinary(), ['-c', join(dir, 'server.conf'), '--ports_file_dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (d) => (stderr += d));
  const ports = join(dir, `nats-server_${server.pid}.ports`);
  for (let i = 0; !url; i++) {
    if (server.exitCode !== null || i > 400) throw new Error(`nats-server did not start: ${stderr}`);
    if (existsSync(ports)) {
      try {
        url = JSON.parse(readFileSync(ports, 'utf8')).nats[0];
      } catch {
        /* being written */
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

const web: Records.VnfRecord = {
  name: 'web',
  state: 'INSTANTIATED',
  descriptor: { name: 'web', clusters: [] },
  nodes: {},
  nextSeq: {},
  updatedAt: new Date(0).toISOString(),
};

beforeAll(async () => {
  await startOperatorServer();
  // the AO's part: answers the list and the deploy subjects, and keeps the event stream
  ao = await connect({ servers: url, name: 'fake-ao', authenticator: credsAuthenticator(readFileSync(creds.admin)), tls: { caFile: ca } });
  ao.subscribe(Query.Subject.vnfList, { callback: (_e, m) => void m.respond(JSON.stringify({ vnfs: [Query.vnfSummary(web)] })) });
  ao.subscribe(Deploy.Subject, {
    callback: (_e, m) => void m.respond(JSON.stringify({ vnf: 'web', op: 'x', created: false, message: 'should not get here' })),
  });
  await (await jetstreamManager(ao)).streams.add({ name: Events.STREAM, subjects: [Events.ALL] });
  await jetstream(ao).publish(
    Events.subject('web', 'op-1'),
    JSON.stringify({ op: 'op-1', vnf: 'web', algorithm: 'deployment', step: 'operation', state: 'COMPLETED', ts: new Date().toISOString() }),
  );
  await ao.flush();
}, 60_000);

afterAll(async () => {
  await ao?.close().catch(() => undefined);
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (!process.env.VNF_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
});

describe('vnfctl with credentials', () => {
  test('devops credentials (--creds, or NATS_CREDS) list the VNFs', async () => {
    const r = await vnfctl(['--creds', creds.devops, 'status', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ name: 'web', state: 'INSTANTIATED' })]);

    const t = await vnfctl(['status'], { NATS_CREDS: creds.devops });
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^web {2}INSTANTIATED/);
  });

  test('devops credentials read the event stream (events exits 0)', async () => {
    const r = await vnfctl(['--creds', creds.devops, 'events', 'web', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([expect.objectContaining({ op: 'op-1', state: 'COMPLETED' })]);
  });

  test('without credentials, or with a user the server does not know, the server refuses: authorization violation, exit 1', async () => {
    for (const run of [() => vnfctl(['status', '--json']), () => vnfctl(['--creds', creds.stranger, 'status', '--json'])]) {
      const r = await run();
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const { error } = JSON.parse(r.stderr);
      expect(error).toMatchObject({ code: 503, err_code: 'unavailable' });
      expect(error.description).toMatch(/^authorization violation: .*check --creds/);
      expect(error.description).not.toMatch(/no service answers/);
    }
    const t = await vnfctl(['status']);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^error: unavailable: authorization violation: .*check --creds/);
    expect(t.stderr).not.toMatch(/\n\s+at /);
  });

  test('a request the role may not send is "permission denied on <subject>", at once, not a timeout', async () => {
    const r = await vnfctl(['--creds', creds.observer, '--timeout', '20000', 'deploy', join(ROOT, 'examples/web.yaml'), '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const { error } = JSON.parse(r.stderr);
    expect(error).toMatchObject({ code: 503, err_code: 'unavailable' });
    expect(error.description).toMatch(new RegExp(`^permission denied on ${Deploy.Subject.replace(/\./g, '\\.')}`));
    // well before the 20 s request timeout, even on a busy machine
    expect(r.ms).toBeLessThan(15_000);

    const t = await vnfctl(['--creds', creds.observer, 'deploy', join(ROOT, 'examples/web.yaml')]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(new RegExp(`^error: unavailable: permission denied on ${Deploy.Subject.replace(/\./g, '\\.')}`));

    // what the observer may do still works
    expect((await vnfctl(['--creds', creds.observer, 'status', '--json'])).code).toBe(0);
  });
});

describe('TLS', () => {
  test('--tls-ca (or NATS_TLS_CA) verifies the server; without the CA the connection is refused with a clear error, exit 1', async () => {
    const r = await vnfctl(['--creds', creds.devops, '--tls-ca', ca, 'status', '--json'], { NATS_TLS_CA: undefined });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ name: 'web' })]);

    const t = await vnfctl(['--creds', creds.devops, 'status', '--json'], { NATS_TLS_CA: undefined });
    expect(t.code).toBe(1);
    expect(t.stdout).toBe('');
    const { error } = JSON.parse(t.stderr);
    expect(error).toMatchObject({ code: 503, err_code: 'unavailable' });
    expect(error.description).toMatch(/certificate/i);
    expect(error.description).toMatch(/--tls-ca/);
  });
});

describe('credentials or CA files vnfctl cannot use', () => {
  test('a missing --creds file: structured error naming it, exit 1, no stack trace', async () => {
    const missing = join(dir, 'nope.creds');
    const r = await vnfctl(['--creds', missing, 'status']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: invalid_request: cannot read credentials file (NATS_CREDS / --creds) ${missing}: ENOENT\n`);

    const j = await vnfctl(['status', '--json'], { NATS_CREDS: missing });
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stderr)).toEqual({ error: { code: 400, err_code: 'invalid_request', description: expect.stringContaining(missing) } });
  });

  test('a --creds file without a user JWT, and a missing --tls-ca file, are refused the same way', async () => {
    const junk = join(dir, 'junk.creds');
    writeFileSync(junk, 'not a credentials file\n');
    const r = await vnfctl(['--creds', junk, 'status', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 400, err_code: 'invalid_request', description: `${junk}: credentials file holds no user JWT` } });

    const ca = await vnfctl(['--creds', creds.devops, '--tls-ca', join(dir, 'nope.pem'), 'status']);
    expect(ca.code).toBe(1);
    expect(ca.stderr).toMatch(/^error: invalid_request: cannot read CA file \(NATS_TLS_CA \/ --tls-ca\) .*nope\.pem: ENOENT\n$/);
  });
});
