import { Controller, Inject, Module } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { connect, errors as natsErrors, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { answer, Bus, createLogger, ensureStreams, JsonKv, rpcError, runService, toErrorBody } from '@vnf-lcm/bus';
import { errorBody, Events, Header, Participant, Trace } from '@vnf-lcm/contracts';
import { eventually } from './support/agent-node.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

/**
 * What a resumed orchestrator sends again must not show twice: a notify published before the
 * crash and again after it is one event and one arrow; arrows that really crossed twice stay two.
 */
let nats: NatsServer;
let nc: NatsConnection;
let bus: Bus;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  await ensureStreams(nc);
  bus = new Bus(nc, Participant.ao);
}, 30_000);
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
}, 30_000);

async function stored(stream: string, subject: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

test('a notify sent again under the same id is recorded once, in the trace and in the events', async () => {
  const op = 'op-once';
  for (let i = 0; i < 2; i++) {
    bus.arrow(Participant.devops, { op, label: 'notify', once: `${op}/k1/notify` }, Events.subject('v', op));
    bus.publishOnce(Events.subject('v', op), { op, step: 'x' }, `${op}/k1/notify`);
  }
  await bus.settled();
  await nc.flush();
  expect(await stored(Trace.STREAM, Trace.subject(op))).toBe(1);
  expect(await stored(Events.STREAM, Events.subject('v', op))).toBe(1);
});

test('arrows without an id are all recorded: a request sent again shows twice', async () => {
  const op = 'op-twice';
  for (let i = 0; i < 2; i++) bus.arrow(Participant.devops, { op, label: 'notify' }, Events.subject('v', op));
  await bus.settled();
  expect(await stored(Trace.STREAM, Trace.subject(op))).toBe(2);
});

test('a handler that cannot reach NATS fails with "unavailable", which the orchestrator retries', async () => {
  const lost = async (fn: () => Promise<unknown>) =>
    fn().then(
      () => 'no error',
      (err: unknown) => toErrorBody(err).err_code,
    );
  expect(await lost(() => nc.request('nobody.listens', '{}', { timeout: 500 }))).toBe('unavailable');
  const other = await connect({ servers: nats.url });
  const kv = await JsonKv.open<{ n: number }>(other, 'bus-test');
  await other.close();
  expect(await lost(() => kv.put('k', { n: 1 }))).toBe('unavailable');
  expect(await lost(async () => JSON.parse('{'))).toBe('internal');
});

@Controller()
class Failing {
  @MessagePattern('bus-test.lost-nats')
  lost() {
    throw new natsErrors.TimeoutError();
  }
  @MessagePattern('bus-test.bug')
  bug() {
    throw new TypeError('x is undefined');
  }
  @MessagePattern('bus-test.refused')
  refused() {
    throw new RpcException(errorBody('conflict', 'busy'));
  }
}
@Controller()
class Slow {
  @MessagePattern('bus-test.slow')
  async slow(@Payload() p: { ms: number }) {
    await new Promise((r) => setTimeout(r, p.ms));
    return { slept: p.ms };
  }
}

@Module({ controllers: [Failing, Slow] })
class FailingModule {}

test('a service answers every failure as plain { error }: lost NATS "unavailable", a bug "internal", its own error as thrown', async () => {
  process.env.NATS_URL = nats.url;
  const svc = await runService({
    name: 'bus-test',
    participant: Participant.vnfm,
    module: FailingModule,
    log: createLogger('bus-test').child({}, { level: 'silent' }),
  });
  try {
    const ask = async (s: string) => (await nc.request(s, '{}', { timeout: 2000 })).json<{ error: { err_code: string; description: string } }>().error;
    expect(await ask('bus-test.lost-nats')).toMatchObject({ err_code: 'unavailable' });
    expect(await ask('bus-test.bug')).toMatchObject({ err_code: 'internal', description: 'internal error' });
    expect(await ask('bus-test.refused')).toMatchObject({ err_code: 'conflict', description: 'busy' });
  } finally {
    await svc.close();
  }
});

@Controller()
class Ordered {
  constructor(@Inject(Bus) private readonly bus: Bus) {}
  // an arrow with no message after it but the reply: written out with the reply, ahead of it
  @MessagePattern('bus-test.order')
  async order(@Payload() p: { op: string; i: number }) {
    // busy when the arrows' own turn would come: the caller's next arrows are written meanwhile
    setImmediate(() => {
      for (const t = Date.now(); Date.now() - t < 5; );
    });
    await this.bus.action(Participant.vnf, { op: p.op, label: `inner ${p.i}` }, async () => undefined);
    return {};
  }
}
@Module({ controllers: [Ordered] })
class OrderedModule {}

async function labelsOf(op: string, n: number): Promise<string[]> {
  const c = await jetstream(nc).consumers.get(Trace.STREAM, { filter_subjects: Trace.subject(op) });
  const labels: string[] = [];
  if (n === 0) return labels;
  for await (const m of await c.fetch({ max_messages: n, expires: 2000 })) {
    const e = m.json<{ act: string; label: string }>();
    labels.push(`${e.act}${e.label}`);
    if (labels.length === n) break;
  }
  return labels;
}

test("arrows keep their causal order across senders: a request's arrow first, then its receiver's, then the reply's", async () => {
  process.env.NATS_URL = nats.url;
  const svc = await runService({
    name: 'bus-test-order',
    participant: Participant.vnfm,
    module: OrderedModule,
    log: createLogger('bus-test').child({}, { level: 'silent' }),
  });
  const op = 'op-order';
  try {
    for (let i = 0; i < 200; i++) await bus.call(Participant.vnfm, 'bus-test.order', { op, i }, { op, label: `outer ${i}` });
    await bus.settled();
    expect(await labelsOf(op, 800)).toEqual(Array.from({ length: 200 }, (_, i) => [`+outer ${i}`, `+inner ${i}`, '-', '-notify']).flat());
  } finally {
    await svc.close();
  }
});

test('a KV write after an arrow never leaves without it: a process killed right after the write keeps both', async () => {
  const c = await connect({ servers: nats.url });
  const b = new Bus(c, Participant.ao);
  // the store on the bus's ordered connection, as every service opens its stores
  const kv = await JsonKv.open<{ step: string }>(b.nc, 'bus-test-steps');
  const op = 'op-step-then-kill';
  // as a kill -9 right after the write left: the connection goes in the microtask after the one
  // that writes the request to the socket (nats.js queues that write when the request is made),
  // before the arrow's own drain (setImmediate) could have sent it
  const request = c.request.bind(c);
  c.request = (...a) => {
    const r = request(...a);
    queueMicrotask(() => void c.close());
    return r;
  };
  b.arrow(Participant.vnf, { op, label: 'notify' }, 'x');
  await kv.put('k', { step: 'done' }).catch(() => undefined);
  const other = await JsonKv.open<{ step: string }>(nc, 'bus-test-steps');
  // the server stores what reached it in its own time: read until it is there
  expect(await eventually('the write stored', async () => (await other.get('k'))?.value, 3_000)).toEqual({ step: 'done' });
  expect(await stored(Trace.STREAM, Trace.subject(op))).toBe(1);
});

test('an arrow followed by no message is written out all the same, without waiting to be settled', async () => {
  const op = 'op-alone';
  bus.arrow(Participant.devops, { op, label: 'notify' }, 'x');
  await new Promise((r) => setTimeout(r, 50));
  await nc.flush();
  expect(await stored(Trace.STREAM, Trace.subject(op))).toBe(1);
});

describe('a record written ahead (JsonKv.mutateAhead)', () => {
  test('is stored before whatever its writer sends next on the same connection', async () => {
    const other = await connect({ servers: nats.url });
    const mine = await JsonKv.open<{ n: number }>(nc, 'bus-ahead');
    const theirs = await JsonKv.open<{ n: number }>(other, 'bus-ahead');
    await mine.put('k', { n: 0 });
    const seen: number[] = [];
    other.subscribe('bus-test.ahead', {
      callback: (_e, m) =>
        void theirs
          .get('k')
          .then((v) => seen.push(v!.value.n))
          .then(() => m.respond('{}')),
    });
    await other.flush();
    for (let i = 1; i <= 100; i++) {
      const { value, stored } = await mine.mutateAhead('k', (cur) => ({ n: cur!.n + 1 }));
      expect(value).toEqual({ n: i });
      await nc.request('bus-test.ahead', String(i), { timeout: 2000 });
      await stored;
    }
    // the reader got message i after write i: it never read an older value
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await other.close();
  });

  test('is refused when another writer came first, and the record keeps their value', async () => {
    const other = await connect({ servers: nats.url });
    const mine = await JsonKv.open<{ n: number }>(nc, 'bus-ahead');
    const theirs = await JsonKv.open<{ n: number }>(other, 'bus-ahead');
    await mine.put('c', { n: 1 });
    await theirs.put('c', { n: 5 });
    const { stored } = await mine.mutateAhead('c', (cur) => ({ n: cur!.n + 1 }));
    await expect(stored).rejects.toThrow();
    expect((await mine.get('c'))!.value).toEqual({ n: 5 });
    // the next change starts from what is stored
    expect(await mine.mutate('c', (cur) => ({ n: cur!.n + 1 }))).toEqual({ n: 6 });
    await other.close();
  });
});

test('arrows written while NATS restarts are all stored, each once', async () => {
  const server = await startNatsServer();
  const c = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    await ensureStreams(c);
    const b = new Bus(c, Participant.ao);
    const op = 'op-restart';
    for (let i = 0; i < 500; i++) b.arrow(Participant.devops, { op, label: `a${i}` }, 'x');
    const restarted = server.restart();
    for (let i = 500; i < 1000; i++) b.arrow(Participant.devops, { op, label: `a${i}` }, 'x');
    await restarted;
    await b.settled();
    const jsm = await jetstreamManager(c);
    const info = await jsm.streams.info(Trace.STREAM, { subjects_filter: Trace.subject(op) });
    expect(info.state.subjects?.[Trace.subject(op)]).toBe(1000);
    const cons = await jetstream(c).consumers.get(Trace.STREAM, { filter_subjects: Trace.subject(op) });
    const labels = new Set<string>();
    for await (const m of await cons.fetch({ max_messages: 1000, expires: 5000 })) {
      labels.add(m.json<{ label: string }>().label);
      if (m.info.pending === 0) break;
    }
    expect(labels.size).toBe(1000);
  } finally {
    await c.close();
    await server.stop();
  }
}, 60_000);

test('a closing service waits for NATS to confirm its arrows only until its deadline, then reports them lost', async () => {
  const server = await startNatsServer();
  const c = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const lost: string[] = [];
  try {
    await ensureStreams(c);
    const b = new Bus(c, Participant.ao, (entry) => lost.push(entry.label));
    await server.stop();
    for (let i = 0; i < 5; i++) b.arrow(Participant.devops, { op: 'op-away', label: `a${i}` }, 'x');
    const t = Date.now();
    await b.settled(300);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(lost).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
  } finally {
    await c.close();
  }
}, 30_000);

describe('a request whose receiver dies with it in hand', () => {
  const start = () =>
    runService({ name: 'bus-test', participant: Participant.vnfm, module: FailingModule, log: createLogger('bus-test').child({}, { level: 'silent' }) });
  beforeAll(() => void (process.env.NATS_URL = nats.url));

  test('fails as "unavailable" within two probes, long before its timeout', async () => {
    const svc = await start();
    const call = bus.call(Participant.vnfm, 'bus-test.slow', { ms: 60_000 }, { op: 'op-probe', step: 'op-probe/1', timeoutMs: 30_000, probeMs: 200 });
    await new Promise((r) => setTimeout(r, 300));
    const t = Date.now();
    await svc.nc.close(); // as kill -9 would: no reply, no subscription left
    await expect(call).rejects.toMatchObject({ err_code: 'unavailable' });
    expect(Date.now() - t).toBeLessThan(5_000);
  });

  test('a receiver that takes its time but lives is waited for', async () => {
    const svc = await start();
    try {
      const r = await bus.call(Participant.vnfm, 'bus-test.slow', { ms: 1_500 }, { op: 'op-probe', step: 'op-probe/2', timeoutMs: 10_000, probeMs: 200 });
      expect(r).toEqual({ slept: 1_500 });
    } finally {
      await svc.close();
    }
  });
});

test("a step sent again while its first request is in hand gets the first one's answer, not a second run", async () => {
  let runs = 0;
  const sub = nc.subscribe('bus-test.slow-step', {
    callback: (_e, m) =>
      void answer(nc, m, async () => {
        const run = ++runs;
        await new Promise((r) => setTimeout(r, 300));
        return { run };
      }),
  });
  await nc.flush();
  const ask = (step: string) => {
    const h = natsHeaders();
    h.set(Header.step, step);
    return nc.request('bus-test.slow-step', '{}', { headers: h, timeout: 5_000 }).then((m) => m.json());
  };
  // the repeat of step a while a is running, then b: a runs once, b on its own
  const first = ask('op/1/a');
  await new Promise((r) => setTimeout(r, 50));
  const [one, again, other] = await Promise.all([first, ask('op/1/a'), ask('op/1/b')]);
  expect({ one, again, runs }).toEqual({ one: { run: 1 }, again: { run: 1 }, runs: 2 });
  expect(other).toEqual({ run: 2 });
  // once answered, the same step runs again (handlers are idempotent; only overlap is joined)
  expect(await ask('op/1/a')).toEqual({ run: 3 });
  sub.unsubscribe();
});

test('a request to a whole cluster tells which targets were gone, also when another target fails the whole', async () => {
  const ok = nc.subscribe('bus-test.each.ok', { callback: (_e, m) => void answer(nc, m, async () => ({ ok: true })) });
  const bad = nc.subscribe('bus-test.each.bad', {
    callback: (_e, m) =>
      // as a Nest service answers (an agent's replyError is the same body)
      void answer(
        nc,
        m,
        async () => {
          throw rpcError('step_failed', 'cannot apply');
        },
        { errorBody: toErrorBody },
      ),
  });
  await nc.flush();
  const gone: string[][] = [];
  const each = (subjects: string[]) =>
    bus.callEach(Participant.vnf, subjects, {}, { op: 'op-each', tolerateGone: true, timeoutMs: 2_000, gone: (s) => gone.push(s) });
  // nobody on bus-test.each.none: gone, and the whole still fails with the other's error
  await expect(each(['bus-test.each.ok', 'bus-test.each.none', 'bus-test.each.bad'])).rejects.toMatchObject({ body: { err_code: 'step_failed' } });
  expect(gone).toEqual([['bus-test.each.none']]);
  // without a failure: the replies, undefined for the gone one, and it is told again
  expect(await each(['bus-test.each.none', 'bus-test.each.ok'])).toEqual([undefined, { ok: true }]);
  expect(gone).toEqual([['bus-test.each.none'], ['bus-test.each.none']]);
  // nothing gone: not called
  await each(['bus-test.each.ok']);
  expect(gone).toHaveLength(2);
  ok.unsubscribe();
  bad.unsubscribe();
});
