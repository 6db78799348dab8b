import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Agent, Deploy, Lifecycle, Query, StepRef, Trace, Vnfm } from '@vnf-lcm/contracts';
import { example, slowBackend } from './support/examples.js';
import { count, diagram, fits, SEQUENCES } from './support/seqcheck.js';
import { httpGet, System } from './support/system.js';

const sys = new System(41);
beforeAll(() => sys.start(), 60_000);
afterAll(() => sys.stop(), 60_000);

describe('deploying the example VNF', () => {
  let op: string;

  test('completes, and every backend answers through every frontend', async () => {
    const events = sys.events('web');
    const r = await sys.deploy(example('web'));
    op = r.id;
    expect(r.state).toBe('COMPLETED');
    const v = await sys.vnf('web');
    expect(v.state).toBe('INSTANTIATED');
    expect(v.nodes.backend).toHaveLength(3);
    expect(v.nodes.frontend).toHaveLength(2);
    const backends = v.nodes.backend.map((n) => n.node).sort();
    for (const f of v.nodes.frontend) {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) {
        const res = await httpGet(`http://${f.address}:${f.port}/`);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-frontend')).toBe(f.node);
        seen.add(res.body.node);
      }
      expect([...seen].sort()).toEqual(backends);
      const ups = (await httpGet(`http://${f.address}:${f.port}/upstreams`)).body as { node: string; address: string }[];
      expect(ups.map((u) => u.node).sort()).toEqual(backends);
    }
    // every AO->DevOps: notify of the diagram reached the notification subject
    expect(events.filter((e) => e.op === op && e.step === 'activate virtual host')).toHaveLength(5);
    expect(events.some((e) => e.op === op && e.step === 'operation' && e.state === 'COMPLETED')).toBe(true);
  });

  test('its trace fits deployment.wsd, with one host activation per node', async () => {
    const wsd = await sys.trace(op);
    const fit = fits(diagram('deployment'), wsd);
    expect(fit).toEqual({ ok: true, messages: fit.messages });
    expect(wsd.split('\n').find((l) => l.includes('->'))).toBe('DevOps->AO: request\\nupdate');
    expect(count(wsd, 'AO->+VIM:activate virtual host')).toBe(5);
    expect(count(wsd, 'VNFM->+VNF:reconfigure cluster\\n(add node to cluster)')).toBe(5);
    const file = join(sys.dir, 'deployment.trace.wsd');
    writeFileSync(file, wsd);
    const out = execFileSync('python3', [join(SEQUENCES, '..', 'tools', 'seqcheck.py'), join(SEQUENCES, 'deployment.wsd'), file], { encoding: 'utf8' });
    expect(out).toMatch(/fits/);
  });

  test('every trace entry carries its step; hosts started ahead are read where the diagram has them', async () => {
    const c = await jetstream(sys.nc).consumers.get(Trace.STREAM, { filter_subjects: Trace.subject(op) });
    const raw: Trace.Entry[] = [];
    for await (const m of await c.fetch({ max_messages: 500, expires: 1_000 })) raw.push(m.json<Trace.Entry>());
    await c.delete();
    const arrows = raw.filter(Trace.isArrow);
    expect(arrows.every((e) => e.step !== undefined && StepRef.within(e.step, op))).toBe(true);
    // a return goes under its request's step; the VIM's arrows under a part of the AO's step
    const hostSteps = arrows.filter((e) => e.from === 'AO' && e.to === 'VIM' && e.act === '+').map((e) => e.step!);
    expect(hostSteps).toHaveLength(5);
    for (const step of hostSteps) {
      expect(arrows.filter((e) => e.step === step).map((e) => e.act)).toEqual(['+', '-']);
      const parts = arrows.filter((e) => e.from === 'VIM' && e.step !== step && StepRef.within(e.step!, step));
      expect(parts.map((e) => e.label)).toEqual(['create virtual host', 'start virtual host']);
    }
    // activated ahead (ADR 25): a backend host was asked for before the first backend's
    // application, and the AO placed each host where the saga took it; no application was
    // activated ahead in a new cluster (ADR 34): it would have started with no member to join
    const firstApp = arrows.findIndex((e) => e.label === 'activate application' && e.act === '+');
    expect(arrows.slice(0, firstApp).filter((e) => e.label === 'activate virtual host' && e.act === '+').length).toBeGreaterThan(1);
    expect(raw.filter((e) => !Trace.isArrow(e)).map((e) => e.place)).toEqual(hostSteps);
    // read in the diagram's order, each host's arrows come together, right before its notify
    const read = Trace.inReadingOrder(raw);
    expect(read).toHaveLength(arrows.length);
    for (const step of hostSteps) {
      const at = read.findIndex((e) => e.step === step);
      expect(read.slice(at, at + 6).map((e) => `${e.from}->${e.act}${e.to}`)).toEqual([
        'AO->+VIM',
        'VIM->+VNF',
        'VNF->-VIM',
        'VIM->+VNF',
        'VNF->-VIM',
        'VIM->-AO',
      ]);
    }
  });

  test('reading a trace leaves no consumer behind on the trace stream', async () => {
    const consumers = async () => (await sys.req<{ state: { consumer_count: number } }>('$JS.API.STREAM.INFO.VNF_TRACE', {})).state.consumer_count;
    const before = await consumers();
    for (let i = 0; i < 5; i++) await sys.trace(op);
    expect(await consumers()).toBe(before);
  });

  test('deploying it again with the same descriptor creates nothing and says so', async () => {
    const before = await sys.hosts();
    const r = await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor: example('web') });
    expect(r.created).toBe(false);
    expect(r.message).toMatch(/already deployed/);
    expect((await sys.hosts()).map((h) => h.node).sort()).toEqual(before.map((h) => h.node).sort());
    const { ops } = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'web' });
    expect(ops).toHaveLength(1);
  });

  test('a different descriptor for the deployed VNF is refused', async () => {
    const r = await sys.raw(Deploy.Subject, { descriptor: example('web', (d) => (d.clusters[0].nodes = 4)) });
    expect(r.error).toMatchObject({ code: 409, err_code: 'conflict' });
  });

  test('each agent holds the membership and endpoints the diagram promised', async () => {
    const v = await sys.vnf('web');
    const backends = v.nodes.backend.map((n) => n.node).sort();
    for (const n of v.nodes.backend) {
      const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {});
      expect(s.members.map((m) => m.node).sort()).toEqual(backends);
    }
    for (const n of v.nodes.frontend) {
      const s = await sys.req<Agent.Status>(Agent.subject(Agent.Verb.status, n.node), {});
      expect(s.endpoints.backend.map((m) => m.node).sort()).toEqual(backends);
    }
  });

  test('every service and agent is a named connection in /connz', async () => {
    const connz = (await httpGet(`${sys.nats.monitor}/connz?limit=1024`)).body as { connections: { name?: string }[] };
    const names = connz.connections.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['orchestrator', 'vnfm', 'vim-adapter', 'vnf-agent/web-backend-1', 'vnf-agent/web-frontend-2']));
  });

  test('the VNFM hears each heartbeat once: one subscription to them, not two', async () => {
    const connz = (await httpGet(`${sys.nats.monitor}/connz?subs=1&limit=1024`)).body as { connections: { name?: string; subscriptions_list?: string[] }[] };
    const vnfm = connz.connections.find((c) => c.name === 'vnfm')!;
    expect(vnfm.subscriptions_list!.filter((s) => s === Agent.HEARTBEAT_ALL)).toHaveLength(1);
  });
});

describe('one operation per VNF', () => {
  test('a second request while one runs gets a conflict naming the running operation', async () => {
    const slow = slowBackend('slow', 2, 1500, 3);
    const first = await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor: slow });
    const second = await sys.raw(Deploy.Subject, { descriptor: slow });
    expect(second.error).toMatchObject({ code: 409, err_code: 'conflict', details: { op: first.op } });
    expect(second.error.description).toContain(first.op);
    // a heal of a node the deployment is still making is the deployment's conflict, not "not
    // instantiated" (which the VNFM takes for a VNF going away, and asks again only after 30 s)
    const heal = await sys.raw(Lifecycle.Subject.heal, { vnf: 'slow', node: 'slow-backend-1' });
    expect(heal.error).toMatchObject({ err_code: 'conflict', details: { op: first.op, algorithm: 'deployment' } });
    expect((await sys.waitOp(first.op)).state).toBe('COMPLETED');

    // while an operation runs on a deployed VNF, a bad request is still answered as such at once,
    // and changes nothing
    const out = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'slow', cluster: 'backend', by: 1 });
    const bad = await sys.raw(Lifecycle.Subject.scaleOut, { vnf: 'slow', cluster: 'nope', by: 1 });
    expect(bad.error).toMatchObject({ err_code: 'not_found', description: expect.stringMatching(/unknown cluster slow\/nope/) });
    expect((await sys.waitOp(out.op)).state).toBe('COMPLETED');
    const { ops } = await sys.req<Query.OpListReply>(Query.Subject.opList, { vnf: 'slow' });
    expect(ops.map((o) => o.algorithm).sort()).toEqual(['deployment', 'scale-out']);
    expect((await sys.vnf('slow')).nodes.backend).toHaveLength(3);
  }, 60_000);
});

describe('applications activated ahead (ADR 34)', () => {
  test("a scale-out starts each new node's application while the nodes before it start theirs and join; the trace still fits", async () => {
    const lag = slowBackend('lag', 1, 1500, 4);
    expect((await sys.deploy(lag)).state).toBe('COMPLETED');
    const r = await sys.req<Lifecycle.Reply>(Lifecycle.Subject.scaleOut, { vnf: 'lag', cluster: 'backend', by: 3 });
    const op = await sys.waitOp(r.op);
    expect(op.state).toBe('COMPLETED');
    const raw = await sys.traceEntries(op.id);
    const at = (step: string, from: string, act: '+' | '-') => raw.findIndex((e) => e.step === StepRef.of(op.id, step) && e.from === from && e.act === act);
    // the AO asked for the next nodes' applications before the first new node joined...
    const firstJoin = at('1/join', 'AO', '+');
    expect(firstJoin).toBeGreaterThan(0);
    for (const i of [2, 3]) expect(at(`${i}/app`, 'AO', '+')).toBeGreaterThanOrEqual(0);
    for (const i of [2, 3]) expect(at(`${i}/app`, 'AO', '+')).toBeLessThan(firstJoin);
    // ...and the VNFM started them side by side: at some moment two or more applications of the
    // cluster were starting at once (a VNFM that starts one at a time never shows that)
    let open = 0;
    let most = 0;
    for (const e of raw) {
      if (!e.step?.endsWith('/app/start')) continue;
      if (e.from === 'VNFM' && e.act === '+') most = Math.max(most, ++open);
      if (e.from === 'VNF' && e.act === '-') open--;
    }
    expect(most).toBeGreaterThanOrEqual(2);
    // read in the diagram's order, each node is host, application, join, as scale-out.wsd draws it
    expect(fits(diagram('scale-out'), await sys.trace(op.id))).toMatchObject({ ok: true });
    const v = await sys.vnf('lag');
    expect(v.nodes.backend).toHaveLength(4);
    const { clusters } = await sys.req<Vnfm.ClusterListReply>(Vnfm.Subject.clusterGet, { vnf: 'lag', cluster: 'backend' });
    expect(clusters[0].members.map((m) => m.node)).toEqual(v.nodes.backend.map((n) => n.node));
    expect(clusters[0].nodes.map((n) => n.state)).toEqual(['running', 'running', 'running', 'running']);
  }, 60_000);
});
