/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// the page runs in a browser: the evaluate() callbacks below use its DOM types
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { Access, Deploy, Query } from '@vnf-lcm/contracts';
import { example } from './support/examples.js';
import { ROOT, System, httpGet } from './support/system.js';

/**
 * The web console in a real browser (Debian's chromium, headless): the console's server as the
 * launcher starts it, the page talking to the test's secured nats-server over its WebSocket
 * listener as the read-only observer. A deploy started here shows up in the page while it runs,
 * and its drawn diagram has one arrow per recorded trace entry.
 */
const sys = new System(67, {}, { websocket: true });
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** kept for a look after the run (test/artefacts/ is not committed) */
const ARTEFACTS = join(ROOT, 'test/artefacts');
const SCREENSHOT = join(ARTEFACTS, 'console.png');

let server: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;

/** the console's server on 127.0.67.1, any free port (its log line says which) */
async function startConsole(): Promise<string> {
  server = spawn(process.execPath, [join(ROOT, 'apps/console/dist/main.js')], {
    env: {
      ...process.env,
      CONSOLE_HOST: '127.0.67.1',
      CONSOLE_PORT: '0',
      CONSOLE_WS_URL: sys.nats.websocket!,
      NATS_CREDS: sys.envOf(Access.Role.observer).NATS_CREDS,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: server.stdout! })) {
    const l = JSON.parse(line) as { msg: string; url?: string };
    if (l.msg === 'console listening') return l.url!;
  }
  throw new Error('the console exited before listening');
}

const small = (name: string, frontend: boolean) =>
  example('web', (d) => {
    d.name = name;
    d.clusters[0].nodes = 1;
    if (frontend) d.clusters[1].nodes = 1;
    else d.clusters.splice(1);
  });

beforeAll(async () => {
  // said at once and plainly: the test needs a browser, and fails (never skips) without one
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (scripts/ensure does), or set CHROMIUM_PATH`);
  await sys.start();
  expect(sys.nats.websocket).toMatch(/^ws:\/\/127\.0\.67\.1:\d+$/);
  // one VNF before the page opens: the page must show what exists, not only what it saw happen
  const pre = await sys.deploy(small('before', false));
  expect(pre.state).toBe('COMPLETED');
  url = await startConsole();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // as root (CI, here) chromium runs only without its sandbox
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1100 });
  page.on('pageerror', (err) => console.error('page error:', err));
  page.on('console', (m) => m.type() === 'error' && console.error('page console:', m.text()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  await sys.stop();
});

/** fetch() sends the URL's own Host header whatever it is given: node:http sends ours */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

const text = (sel: string) => page.$eval(sel, (e) => e.textContent ?? '');

describe('web console', () => {
  test('the server hands out the page and the observer identity to loopback only, on loopback names', async () => {
    const cfg = await httpGet(`${url}config.json`);
    expect(cfg.status).toBe(200);
    expect(cfg.body.ws).toBe(sys.nats.websocket);
    expect(cfg.body.creds).toContain('BEGIN NATS USER JWT');
    // another name for this machine (DNS rebinding): nothing
    const port = new URL(url).port;
    const other = await getWithHost(`${url}config.json`, `evil.example:${port}`);
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body).error).toMatchObject({ code: 403, err_code: 'forbidden' });
    const post = await fetch(`${url}config.json`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect((await httpGet(`${url}nope`)).status).toBe(404);
  });

  test('the page connects over WebSocket as the observer and shows the VNFs there are', async () => {
    await page.goto(url);
    await page.waitForSelector('#status[data-status="connected"]', { timeout: 20_000 });
    await page.waitForSelector('section.vnf[data-vnf="before"] tr[data-node]', { timeout: 20_000 });
    const row = await page.$eval('section.vnf[data-vnf="before"] tr[data-node]', (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    const node = (await sys.vnf('before')).nodes.backend[0];
    expect(row.slice(0, 5)).toEqual([node.node, 'backend', `${node.address}:${node.port}`, 'v1', node.zone]);
    // the node's health and last heartbeat reach the page through vnf.ao.node-health: running, lately heard
    await page.waitForFunction(() => document.querySelector('section.vnf[data-vnf="before"] td.health')?.textContent === 'running', { timeout: 10_000 });
    expect(await text('section.vnf[data-vnf="before"] td.beat')).toMatch(/s ago/);
  });

  test('a deploy started now appears live: its VNF, its operation, its trace growing, its events', async () => {
    const r = await sys.req<Deploy.Reply>(Deploy.Subject, { descriptor: small('web', true) });
    // the operation's row comes from the page's own reads, set off by the deploy's first event
    await page.waitForSelector(`tr[data-op="${r.op}"]`, { timeout: 20_000 });
    // clicked inside the page: the table is drawn anew on every read, so a handle would go stale
    await page.$eval(`tr[data-op="${r.op}"] td`, (td) => (td as HTMLElement).click());
    // the arrow counts the page draws while the operation runs
    const seen = new Set<number>();
    for (;;) {
      const n = await page.$eval('#trace', (e) => (e as HTMLElement).dataset.op && Number((e as HTMLElement).dataset.arrows)).catch(() => undefined);
      if (typeof n === 'number') seen.add(n);
      const state = await page.$eval(`tr[data-op="${r.op}"]`, (e) => (e as HTMLElement).dataset.state);
      if (state === 'COMPLETED' || state === 'FAILED' || state === 'ROLLED_BACK') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(await page.$eval(`tr[data-op="${r.op}"]`, (e) => (e as HTMLElement).dataset.state)).toBe('COMPLETED');

    // the whole trace as the AO tells it, and the page's drawing of it: one arrow per entry. The
    // last arrows may be stored a moment after the record says COMPLETED: both are read again
    // until they agree (or the deadline says how far apart they stayed)
    let t: Query.OpTraceReply;
    let drawn = -1;
    for (const until = Date.now() + 15_000; ; ) {
      t = await sys.req<Query.OpTraceReply>(Query.Subject.opTrace, { op: r.op });
      drawn = await page.$$eval('#trace svg.sequence g.arrow', (a) => a.length);
      if (drawn === t.entries) break;
      if (Date.now() > until) {
        mkdirSync(ARTEFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTEFACTS, 'console-failed.png'), fullPage: true });
        throw new Error(`${drawn} arrows drawn of ${t.entries} in the trace (counts seen while it ran: ${[...seen]})`);
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(t.entries).toBeGreaterThan(20);
    // it grew while the operation ran: drawn with at least two different counts short of the
    // whole (a run here saw 12, 17, 19, 20, 29, 38, 43, 45 of 54)
    expect([...seen].filter((n) => n > 0 && n < t.entries).length).toBeGreaterThanOrEqual(2);
    const labels = await page.$$eval('#trace svg.sequence g.arrow text', (ts) =>
      ts.map((x) => [...x.querySelectorAll('tspan')].map((s) => s.textContent).join('\\n')),
    );
    const wsd = t.wsd
      .split('\n')
      .filter((l) => l.includes('->'))
      .map((l) => l.replace(/^[^:]*:\s*/, ''));
    expect(labels).toEqual(wsd);
    const participants = await page.$$eval('#trace svg.sequence g.participant text', (ts) => ts.map((x) => x.textContent));
    // each participant twice, on top and at the bottom
    expect(participants.filter((_, i) => i % 2 === 0)).toEqual(['DevOps', 'AO', 'VIM', 'VNFM', 'VNF']);
    expect(await page.$$eval('#trace svg.sequence rect.activation', (b) => b.length)).toBe(t.wsd.split('\n').filter((l) => /->\+/.test(l)).length);

    // the VNF, its clusters with the dependency arrow, and its nodes
    await page.waitForSelector('section.vnf[data-vnf="web"] line.depends[data-from="frontend"][data-to="backend"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('section.vnf[data-vnf="web"] tr[data-node]').length === 2, { timeout: 10_000 });

    // the events feed got the deploy's events, its closing one included
    const steps = await page.$$eval(`#events li[data-op="${r.op}"]`, (li) => li.map((l) => (l as HTMLElement).dataset.step));
    expect(steps).toContain('operation');
    expect(steps.length).toBeGreaterThan(3);

    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('the observer the page uses is refused anything that changes something', async () => {
    const nc = await sys.connectAs(Access.Role.observer, 'test-console-observer');
    const r = await nc.request(Deploy.Subject, JSON.stringify({ descriptor: small('nope', false) }), { timeout: 3000 }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    expect(r).toMatch(/permission/i);
    await nc.close();
  });
});
