import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverDeps } from '../driver.js';
import { DockerDriver } from './docker.driver.js';
import { checkDockerZone } from './options.js';

/**
 * The docker driver's watch against a fake engine on a unix socket: GET /events streams one JSON
 * object a line; a dropped stream is opened again with `since`, and what it replays is reported once.
 */
const dir = mkdtempSync(join(tmpdir(), 'vnf-events-'));
const socket = join(dir, 'docker.sock');
const requests: URL[] = [];
let onEvents: (res: http.ServerResponse, n: number) => void = () => undefined;
const server = http.createServer((req, res) => {
  const url = new URL(req.url!, 'http://docker');
  if (url.pathname.endsWith('/_ping')) return void res.end('OK');
  if (!url.pathname.endsWith('/events')) return void res.writeHead(404).end('{"message":"no"}');
  requests.push(url);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  onEvents(res, requests.length);
});

const log = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined } as unknown as DriverDeps['log'];
const driver = () =>
  new DockerDriver(checkDockerZone({ name: 'dock', driver: 'docker', range: '127.50.0.0/16', scope: 's1', socket }, {}), {
    nc: {} as DriverDeps['nc'],
    log,
    identities: {} as DriverDeps['identities'],
  });

const event = (action: string, node: string, id: string, time: number, attrs: Record<string, string> = {}) =>
  `${JSON.stringify({
    Type: 'container',
    Action: action,
    Actor: { ID: id, Attributes: { 'vnf-lcm.node': node, 'vnf-lcm.zone': 'dock', 'vnf-lcm.scope': 's1', ...attrs } },
    time,
    timeNano: time * 1e9 + 123,
  })}\n`;

const until = async (ok: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error('timed out');
};

beforeAll(() => new Promise<void>((r) => server.listen(socket, r)));
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => (requests.length = 0));

test("asks for its zone's and scope's containers dying or out of memory; a die is reported with its exit code, once", async () => {
  const downs: [string, string][] = [];
  onEvents = (res) => {
    // split across writes, as a stream may be
    const all = event('oom', 'n-1', 'c1', 1000) + event('die', 'n-1', 'c1', 1000, { exitCode: '137' }) + event('die', 'n-2', 'c2', 1001, { exitCode: '1' });
    res.write(all.slice(0, 50));
    res.write(all.slice(50));
    // another zone's container and a malformed line: nothing
    res.write(`${event('die', 'n-3', 'c3', 1002, { 'vnf-lcm.zone': 'other', exitCode: '137' })}not json\n`);
  };
  const stop = driver().watch((node, reason) => downs.push([node, reason]));
  await until(() => downs.length >= 2);
  await new Promise((r) => setTimeout(r, 100));
  stop();
  expect(downs).toEqual([
    ['n-1', 'container died (out of memory, exit 137)'],
    ['n-2', 'container died (exit 1)'],
  ]);
  const filters = JSON.parse(requests[0].searchParams.get('filters')!);
  expect(filters).toEqual({ label: ['vnf-lcm.zone=dock', 'vnf-lcm.scope=s1'], type: ['container'], event: ['die', 'oom'] });
  expect(requests[0].searchParams.get('since')).toBeNull();
});

test('a dropped stream is opened again from the last event, and the replay is not reported twice', async () => {
  const downs: string[] = [];
  onEvents = (res, n) => {
    if (n === 1) {
      res.write(event('die', 'n-1', 'c1', 2000, { exitCode: '137' }));
      setTimeout(() => res.destroy(), 50); // the engine restarted
    } else {
      // from `since`: the same event again, then a new one
      res.write(event('die', 'n-1', 'c1', 2000, { exitCode: '137' }) + event('die', 'n-2', 'c2', 2001, { exitCode: '137' }));
    }
  };
  const stop = driver().watch((node) => downs.push(node));
  await until(() => downs.length >= 2);
  await new Promise((r) => setTimeout(r, 100));
  stop();
  expect(downs).toEqual(['n-1', 'n-2']);
  expect(requests).toHaveLength(2);
  expect(requests[1].searchParams.get('since')).toBe('2000');
});
