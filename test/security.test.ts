import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { AgentMinter } from '@vnf-lcm/auth';
import { Access, Agent, Events, Query, type Records } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { argsOf, findProcesses } from './support/procs.js';
import { hostProcesses, httpGet, System } from './support/system.js';

/**
 * The attacks of issue 10, each tried with a plain NATS client against a secured system (operator
 * mode, TLS, the identities the launcher makes): each is refused by the server with a permissions
 * violation and changes nothing: records, hosts, processes, traffic.
 */
const sys = new System(56);
let web: Records.VnfRecord;
const opened: NatsConnection[] = [];

beforeAll(async () => {
  await sys.start();
  expect((await sys.deploy(example('web'))).state).toBe('COMPLETED');
  web = await sys.vnf('web');
}, 120_000);
afterAll(async () => {
  for (const c of opened) await c.close().catch(() => undefined);
  await sys.stop();
}, 60_000);

async function as(role: Access.Role): Promise<NatsConnection> {
  const c = await sys.connectAs(role, `attacker-${role}`);
  opened.push(c);
  return c;
}

/** What the server said no to while `fn` ran (nats.js reports refused publishes on the status stream). */
async function refusals(nc: NatsConnection, fn: () => unknown): Promise<string[]> {
  const got: string[] = [];
  const watch = (async () => {
    for await (const s of nc.status()) if (s.type === 'error') got.push(String((s as { error?: Error }).error?.message ?? ''));
  })();
  await fn();
  await nc.flush().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 150));
  void watch;
  return got;
}

/** what must not change: the records, the hosts, the processes, where each frontend sends traffic */
async function snapshot() {
  const v = await sys.vnf('web');
  const hosts = (await sys.hosts()).map((h) => `${h.node}@${h.address}:${h.state}`).sort();
  const ups: Record<string, string[]> = {};
  for (const f of v.nodes.frontend)
    ups[f.node] = ((await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { address: string }[]).map((u) => u.address).sort();
  return { nodes: v.nodes, state: v.state, hosts, ups, processes: hostProcesses(sys.dir) };
}

test('an anonymous client is refused', async () => {
  const tls = sys.security!.tls ? { tls: { caFile: sys.security!.tls.ca } } : {};
  const r = await connect({ servers: sys.nats.url, reconnect: false, ...tls }).then(
    (c) => c.close().then(() => 'connected'),
    (e: Error) => e.message,
  );
  expect(r).toMatch(/Authorization Violation/i);
});

test('a DevOps identity cannot reach internal subjects, forge events or traces, or purge a stream', async () => {
  const devops = await as(Access.Role.devops);
  const before = await snapshot();
  const frontend = web.nodes.frontend[0].node;
  const backend = web.nodes.backend[0].node;
  const events = (await sys.req<{ state: { messages: number } }>('$JS.API.STREAM.INFO.VNF_EVENTS', {})).state.messages;
  const said = await refusals(devops, () => {
    // pointing a frontend at an address of the attacker's choosing
    devops.publish(
      Agent.subject(Agent.Verb.clientReconfigure, frontend),
      JSON.stringify({ provider: 'backend', endpoints: [{ node: 'x', address: '127.0.0.1', port: 9 }] }),
    );
    devops.publish(Agent.subject(Agent.Verb.appStop, backend), '{}');
    devops.publish('vnf.vim.host-remove.local', JSON.stringify({ node: backend }));
    devops.publish('vnf.vnfm.cluster-scale-in', JSON.stringify({ vnf: 'web', cluster: 'backend', pick: 'newest' }));
    devops.publish('vnf.vnfm.app-destroy', JSON.stringify({ vnf: 'web', cluster: 'backend', node: backend }));
    devops.publish(Agent.heartbeat(backend), JSON.stringify({ node: backend, app: { state: 'failed' }, ts: new Date().toISOString() }));
    devops.publish(Events.subject('web', 'forged'), 'not even json');
    devops.publish('vnf.trace.forged', '{}');
    devops.publish('$JS.API.STREAM.PURGE.VNF_EVENTS', '');
    devops.publish('$JS.API.STREAM.DELETE.KV_ao-vnfs', '');
    devops.publish('$KV.ao-vnfs.web', '{}');
  });
  for (const subject of [
    Agent.subject(Agent.Verb.clientReconfigure, frontend),
    Agent.subject(Agent.Verb.appStop, backend),
    'vnf.vim.host-remove.local',
    'vnf.vnfm.cluster-scale-in',
    'vnf.vnfm.app-destroy',
    Agent.heartbeat(backend),
    Events.subject('web', 'forged'),
    'vnf.trace.forged',
    '$JS.API.STREAM.PURGE.VNF_EVENTS',
    '$JS.API.STREAM.DELETE.KV_ao-vnfs',
    '$KV.ao-vnfs.web',
  ])
    expect(said).toContainEqual(expect.stringMatching(new RegExp(`Permissions Violation for Publish to "${subject.replace(/[.$*]/g, '\\$&')}"`)));
  // a request is refused the same way, at once
  await expect(devops.request('vnf.vim.host-list.local', '{}', { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
  // the VIM's zone list (ADR 26) is the orchestrator's to ask, not an operator's
  await expect(devops.request('vnf.vim.zone-list', '{}', { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
  // reading what another role hears is refused too
  const subs = await refusals(devops, () => devops.subscribe(Agent.HEARTBEAT_ALL));
  expect(subs).toContainEqual(expect.stringMatching(/Permissions Violation for Subscription to "vnf\.agent\.heartbeat\.\*"/));
  const inbox = await refusals(devops, () => devops.subscribe(`${Access.inboxPrefix(Access.Role.orchestrator)}.>`));
  expect(inbox).toContainEqual(expect.stringMatching(/Permissions Violation for Subscription/));
  // nothing changed, a second later (healing would have started on a forged failure by now)
  await new Promise((r) => setTimeout(r, 1000));
  expect(await snapshot()).toEqual(before);
  expect((await sys.req<{ state: { messages: number } }>('$JS.API.STREAM.INFO.VNF_EVENTS', {})).state.messages).toBe(events);
  expect((await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' })).ops).toHaveLength(1);
  // what DevOps is for still works
  const { vnfs } = (await devops.request(Query.Subject.vnfList, '{}', { timeout: 5000 })).json<Query.VnfListReply>();
  expect(vnfs.map((v) => v.name)).toEqual(['web']);
});

test('an observer reads, and may not ask for anything that changes something', async () => {
  const observer = await as(Access.Role.observer);
  const { vnf } = (await observer.request(Query.Subject.vnfGet, JSON.stringify({ vnf: 'web' }), { timeout: 5000 })).json<Query.VnfGetReply>();
  expect(vnf.name).toBe('web');
  await expect(observer.request('vnf.ao.scale-out', JSON.stringify({ vnf: 'web', cluster: 'backend' }), { timeout: 2000 })).rejects.toThrow(
    /Permissions Violation/i,
  );
  await expect(observer.request('vnf.ao.deploy', '{}', { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
});

describe('one identity per node', () => {
  const signer = () => AgentMinter.fromFile(sys.security!.env(Access.Role.vimAdapter).VIM_AGENT_SIGNER);
  const asNode = async (creds: Uint8Array, extra = {}) => {
    const tls = sys.security!.tls ? { tls: { caFile: sys.security!.tls.ca } } : {};
    const c = await connect({ servers: sys.nats.url, authenticator: credsAuthenticator(creds), reconnect: false, ...tls, ...extra });
    opened.push(c);
    return c;
  };

  test('an agent may speak only for its own node, and may not call the VIM, the VNFM or the AO', async () => {
    const [victim, other] = web.nodes.backend.map((n) => n.node);
    // an identity minted as the VIM mints one, for a node that is not deployed
    const node = await asNode((await signer().mint('web-backend-99')).creds);
    const before = await snapshot();
    const said = await refusals(node, () => {
      node.publish(Agent.heartbeat(victim), JSON.stringify({ node: victim, app: { state: 'failed' }, ts: new Date().toISOString() }));
      node.publish(Agent.hello(other), '{}');
      node.publish(Agent.subject(Agent.Verb.appStop, victim), '{}');
    });
    expect(said).toContainEqual(expect.stringMatching(/Publish to "vnf\.agent\.heartbeat\.web-backend-1"/));
    expect(said).toContainEqual(expect.stringMatching(/Publish to "vnf\.agent\.hello\./));
    expect(said).toContainEqual(expect.stringMatching(/Publish to "vnf\.agent\.app-stop\./));
    for (const subject of [
      'vnf.vim.host-list.local',
      'vnf.vim.zone-list',
      'vnf.vnfm.cluster-get',
      'vnf.ao.vnf-list',
      'vnf.ao.node-health',
      'vnf.ao.node-logs',
      'vnf.ao.terminate',
    ])
      await expect(node.request(subject, '{}', { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await snapshot()).toEqual(before);
  });

  test("the VNFM takes a heartbeat's node from its subject, never from its body", async () => {
    const victim = web.nodes.backend[1].node;
    const node = await asNode((await signer().mint('web-backend-97')).creds);
    const ops = (await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' })).ops.length;
    // its own subject, which it may use, with a body that says another node's application failed
    const said = await refusals(node, () => {
      for (let i = 0; i < 5; i++)
        node.publish(
          Agent.heartbeat('web-backend-97'),
          JSON.stringify({ node: victim, app: { state: 'failed', reason: 'forged' }, ts: new Date().toISOString() }),
        );
    });
    expect(said).toEqual([]);
    // the VNFM asks for healing within a second of a failure it believes: none may come
    await new Promise((r) => setTimeout(r, 1500));
    expect((await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' })).ops).toHaveLength(ops);
    expect((await sys.vnf('web')).nodes.backend.map((n) => n.node)).toContain(victim);
  });

  test('agents and applications run as the unprivileged user, never as root; applications see nothing of the bus', async () => {
    const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    const vnfUid = Number(execFileSync('id', ['-u', 'vnf-lcm'], { encoding: 'utf8' }).trim());
    expect(vnfUid).toBeGreaterThan(0);
    const agents = findProcesses((p) => argsOf(p).some((a) => a.startsWith('--node=web-')) && p.cwd.startsWith(sys.dir));
    const apps = findProcesses((p) => p.env.includes('VNF_VNF=web') && p.env.some((e) => e.startsWith('VNF_CONFIG=') && e.includes(sys.dir)));
    expect(agents).toHaveLength(5);
    expect(apps).toHaveLength(5);
    for (const pid of [...agents, ...apps]) expect(uidOf(pid)).toBe(vnfUid);
    // nothing of the bus reaches an application: no address, identity or CA
    for (const pid of apps)
      expect(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter((e) => e.startsWith('NATS_')),
      ).toEqual([]);
  });

  test("an application cannot read its agent's memory or environment: agents are not dumpable, whatever Yama says", async () => {
    const vnfUid = Number(execFileSync('id', ['-u', 'vnf-lcm'], { encoding: 'utf8' }).trim());
    const vnfGid = Number(execFileSync('id', ['-g', 'vnf-lcm'], { encoding: 'utf8' }).trim());
    const agents = findProcesses((p) => argsOf(p).some((a) => a.startsWith('--node=web-')) && p.cwd.startsWith(sys.dir));
    const apps = findProcesses((p) => p.env.includes('VNF_VNF=web') && p.env.some((e) => e.startsWith('VNF_CONFIG=') && e.includes(sys.dir)));
    expect(agents).toHaveLength(5);
    // what an application, as the same user, can open of another process: EACCES, or open
    const script = (pids: number[]) => `
      const fs = require('fs');
      const open = (f) => { try { fs.closeSync(fs.openSync(f, 'r')); return 'open'; } catch (e) { return e.code; } };
      console.log(JSON.stringify(${JSON.stringify(pids)}.map((p) => [open('/proc/' + p + '/environ'), open('/proc/' + p + '/mem')])));`;
    const probe = (pids: number[]) =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', script(pids)], { uid: vnfUid, gid: vnfGid, encoding: 'utf8', env: { PATH: process.env.PATH } }),
      ) as string[][];
    expect(probe(agents)).toEqual(agents.map(() => ['EACCES', 'EACCES']));
    // the applications are (their own programs, readable): the probe itself is not what refuses
    expect(probe(apps)).toEqual(apps.map(() => ['open', 'open']));
  });

  test("a removed node's identity is revoked: its connection is dropped, and it cannot connect again, even after a server restart", async () => {
    const minted = await signer().mint('web-backend-98');
    const node = await asNode(minted.creds, { reconnect: true, maxReconnectAttempts: 3, reconnectTimeWait: 100 });
    const dropped = (async () => {
      for await (const s of node.status()) if (s.type === 'error' && /Revoked/i.test(String((s as { error?: Error }).error?.message))) return true;
      return false;
    })();
    // only the VIM may ask, and only for a node's identity
    const devops = await as(Access.Role.devops);
    await expect(devops.request(Access.REVOKE_SUBJECT, JSON.stringify({ jwt: minted.jwt }), { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
    const vim = await as(Access.Role.vimAdapter);
    const devopsJwt = /-----BEGIN NATS USER JWT-----\s*(\S+)/.exec(readFileSync(sys.envOf(Access.Role.devops).NATS_CREDS, 'utf8'))![1];
    expect((await vim.request(Access.REVOKE_SUBJECT, JSON.stringify({ jwt: devopsJwt }), { timeout: 5000 })).json()).toMatchObject({
      error: { err_code: 'invalid_request' },
    });
    expect((await vim.request(Access.REVOKE_SUBJECT, JSON.stringify({ jwt: minted.jwt }), { timeout: 5000 })).json()).toMatchObject({
      node: 'web-backend-98',
      revoked: true,
    });
    expect(await dropped).toBe(true);
    const again = () =>
      asNode(minted.creds).then(
        () => 'connected',
        (e: Error) => e.message,
      );
    expect(await again()).toMatch(/Authorization Violation/i);
    await sys.nats.restart();
    await sys.waitReady();
    expect(await again()).toMatch(/Authorization Violation/i);
  });

  test('scale-in revokes the identity the VIM minted for the node it removed', async () => {
    const hostDir = (node: string) => join(sys.dir, 'hosts/local', node);
    const newest = web.nodes.backend
      .map((n) => n.node)
      .sort()
      .at(-1)!;
    const jwt = readFileSync(join(hostDir(newest), 'identity.jwt'), 'utf8').trim();
    const user = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).sub as string;
    expect(sys.security!.id.revocations()[user]).toBeUndefined();
    const r = await sys.req<{ op: string }>('vnf.ao.scale-in', { vnf: 'web', cluster: 'backend' });
    expect((await sys.waitOp(r.op)).state).toBe('COMPLETED');
    expect((await sys.vnf('web')).nodes.backend.map((n) => n.node)).not.toContain(newest);
    expect(sys.security!.id.revocations()[user]).toBeGreaterThan(0);
  });
});

test('the VNFM may ask the AO to heal and scale, never to terminate a VNF', async () => {
  const vnfm = await as(Access.Role.vnfm);
  await expect(vnfm.request('vnf.ao.terminate', JSON.stringify({ vnf: 'web' }), { timeout: 2000 })).rejects.toThrow(/Permissions Violation/i);
  expect((await sys.vnf('web')).state).toBe('INSTANTIATED');
});
