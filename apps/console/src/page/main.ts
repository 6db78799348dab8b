/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The web console's page: a NATS client in the browser (over the server's WebSocket listener, as
 * the read-only observer) that reads the same public subjects vnfctl reads, and draws them. No
 * framework: state in a few variables, each part of the page re-drawn from it when it changes.
 */
import { credsAuthenticator, wsconnect, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { Events, Query, Records } from '@vnf-lcm/contracts';
import * as Trace from '@vnf-lcm/contracts/trace';
import type { ConsoleSubjects } from '../main.js';
import { sequenceSvg } from '../sequence.js';
import { clusterGraph } from './topology.js';

interface Config {
  ws: string;
  creds: string;
  subjects: ConsoleSubjects;
}

/** a node whose last heartbeat is older than this is shown as silent */
const SILENT_MS = 3000;
/** node health is asked for this often: the heartbeat ages change without any message */
const HEALTH_MS = 1000;
/** the records are read again this often, in case an event was lost (events are at most once) */
const REFRESH_MS = 3000;
const FEED_MAX = 300;
const ENDED: string[] = ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'FAILED_TEMP'];

const $ = (id: string) => document.getElementById(id)!;
const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const time = (iso?: string) => (iso ? new Date(iso).toLocaleTimeString() : '');

let nc: NatsConnection;
let S: ConsoleSubjects;
let vnfs: Records.VnfRecord[] = [];
let ops: Query.OpSummary[] = [];
/**
 * Each node's last heartbeat and application state, as the AO tells them (vnf.ao.node-health):
 * the heartbeats themselves are internal, read by the VNFM only.
 */
const beats = new Map<string, Query.NodeHealthEntry>();
const feed: Events.Event[] = [];
/** the operation whose trace is shown, and its arrows so far */
let shown: { op: string; entries: Trace.Entry[]; msgs?: ConsumerMessages } | undefined;
/** someone picked the operation shown (a click, or #op in the address): no more following */
let picked = false;

async function request<T>(subject: string, body: unknown): Promise<T> {
  const m = await nc.request(subject, JSON.stringify(body), { timeout: 5000 });
  const r = m.json<T | { error: { description: string } }>();
  if (r && typeof r === 'object' && 'error' in r) throw new Error(r.error.description);
  return r as T;
}

/** a paged list (vnf-list, op-list) whole: page after page until one has no `next` */
async function all<R extends { next?: string }, T>(subject: string, items: (r: R) => T[]): Promise<T[]> {
  const out: T[] = [];
  for (let cursor: string | undefined; ; ) {
    const r = await request<R>(subject, cursor === undefined ? {} : { cursor });
    out.push(...items(r));
    if (r.next === undefined || r.next === cursor) return out;
    cursor = r.next;
  }
}

function status(text: string, state: 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'error'): void {
  const el = $('status');
  el.textContent = text;
  el.dataset.status = state;
}

/** One redraw per frame at most, however many messages arrive in it. */
const dirty = new Set<() => void>();
function later(draw: () => void): void {
  if (dirty.size === 0)
    requestAnimationFrame(() => {
      const all = [...dirty];
      dirty.clear();
      for (const d of all) d();
    });
  dirty.add(draw);
}

let refreshing: Promise<void> | undefined;
let again = false;
/** reads the VNF and operation lists; calls while one read runs make one more read after it */
function refresh(): void {
  if (refreshing) return void (again = true);
  refreshing = (async () => {
    try {
      const [v, o] = await Promise.all([
        all<Query.VnfListReply, Query.VnfSummary>(S.vnfList, (r) => r.vnfs),
        all<Query.OpListReply, Query.OpSummary>(S.opList, (r) => r.ops),
      ]);
      // the list has summaries; the page draws every node, so each record whole (one fits a message)
      vnfs = await Promise.all(v.map(async (x) => (await request<Query.VnfGetReply>(S.vnfGet, { vnf: x.name })).vnf));
      ops = o.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      // until someone picks one, the trace shown is the newest operation's (a running one first)
      const follow = ops.find((x) => !ENDED.includes(x.state)) ?? ops[0];
      if (!picked && follow && shown?.op !== follow.id) void show(follow.id);
      later(drawVnfs);
      later(drawOps);
      $('vnfs').dataset.loaded = 'true';
    } catch (err) {
      status(`reading the records: ${(err as Error).message}`, 'error');
    } finally {
      refreshing = undefined;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
}

function health(node: string): { text: string; cls: string; last: string } {
  const b = beats.get(node);
  if (!b?.lastSeen || !b.app) return { text: 'no heartbeat yet', cls: 'unknown', last: '' };
  const ago = Math.max(0, Date.now() - Date.parse(b.lastSeen));
  const last = `${time(b.lastSeen)} (${(ago / 1000).toFixed(1)} s ago)`;
  if (ago > SILENT_MS) return { text: 'silent', cls: 'bad', last };
  const app = b.app;
  if (app.healthy === false) return { text: `${app.state}, unhealthy`, cls: 'bad', last };
  return { text: app.state, cls: app.state === 'running' ? 'good' : 'warn', last };
}

function drawVnfs(): void {
  const el = $('vnfs');
  if (vnfs.length === 0) return void (el.innerHTML = '<p class="empty">No VNF yet.</p>');
  el.innerHTML = vnfs
    .map((v) => {
      const clusters = v.descriptor.clusters;
      const rows = clusters.flatMap((c) =>
        (v.nodes[c.name] ?? []).map((n) => {
          const h = health(n.node);
          return `<tr data-node="${esc(n.node)}"><td>${esc(n.node)}</td><td>${esc(c.name)}</td><td>${esc(n.address)}:${esc(n.port)}</td><td>${esc(n.version)}</td><td>${esc(n.zone)}</td><td class="health ${h.cls}">${esc(h.text)}</td><td class="beat">${esc(h.last)}</td></tr>`;
        }),
      );
      const active = v.activeOp ? ` <span class="busy">running ${esc(v.activeOp)}</span>` : '';
      return `<section class="vnf" data-vnf="${esc(v.name)}"><h3>${esc(v.name)} <small>${esc(v.state)}</small>${active}</h3>
        ${clusterGraph(clusters, v.nodes)}
        <table class="nodes"><thead><tr><th>node</th><th>cluster</th><th>address</th><th>version</th><th>zone</th><th>health</th><th>last heartbeat</th></tr></thead>
        <tbody>${rows.join('') || '<tr><td colspan="7" class="empty">no node</td></tr>'}</tbody></table></section>`;
    })
    .join('');
}

/** every shown VNF's node health from the AO, then the health cells drawn again */
async function pollHealth(): Promise<void> {
  for (const v of vnfs) {
    try {
      for (const n of (await request<Query.NodeHealthReply>(S.nodeHealth, { vnf: v.name })).nodes) beats.set(n.node, n);
    } catch {
      // a VNF gone meanwhile, or the AO away for a moment: the next poll says
    }
  }
  drawHealth();
}

/** only the health cells, every second: the heartbeat ages change without any message */
function drawHealth(): void {
  for (const tr of document.querySelectorAll<HTMLTableRowElement>('tr[data-node]')) {
    const h = health(tr.dataset.node!);
    const cell = tr.querySelector<HTMLElement>('td.health')!;
    cell.className = `health ${h.cls}`;
    cell.textContent = h.text;
    tr.querySelector('td.beat')!.textContent = h.last;
  }
}

function drawOps(): void {
  $('ops').innerHTML = ops.length
    ? `<table><thead><tr><th>operation</th><th>vnf</th><th>algorithm</th><th>state</th><th>by</th><th>started</th><th>ended</th></tr></thead><tbody>${ops
        .map(
          (o) =>
            `<tr data-op="${esc(o.id)}" data-state="${esc(o.state)}" class="${shown?.op === o.id ? 'selected' : ''}"><td><a href="#${esc(o.id)}">${esc(o.id)}</a></td><td>${esc(o.vnf)}</td><td>${esc(o.algorithm)}</td><td class="state ${esc(o.state)}">${esc(o.state)}</td><td>${esc(o.requestedBy)}</td><td>${time(o.startedAt)}</td><td>${time(o.endedAt)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="empty">No operation yet.</p>';
}

function drawFeed(): void {
  $('events').innerHTML = feed
    .map(
      (e) =>
        `<li data-op="${esc(e.op)}" data-step="${esc(e.step)}" class="${e.error ? 'error' : ''}"><time>${time(e.ts)}</time> <b>${esc(e.vnf)}</b> ${esc(e.algorithm)} <code>${esc(e.op)}</code> ${esc(e.step.replace(/\\n/g, ' '))}${e.cluster ? ` ${esc(e.cluster)}` : ''}${e.node ? `/${esc(e.node)}` : ''}: <span class="state">${esc(e.state)}</span>${e.error ? ` ${esc(e.error.description)}` : ''}</li>`,
    )
    .join('');
}

function drawTrace(): void {
  if (!shown) return;
  const op = ops.find((o) => o.id === shown!.op);
  const title = op ? `${op.algorithm} of ${op.vnf} (${op.state})` : shown.op;
  // in the diagram's order: a host started ahead of its turn is drawn where the saga took it
  const arrows = Trace.inReadingOrder(shown.entries);
  $('trace-title').textContent = `${shown.op}: ${arrows.length} arrows`;
  const el = $('trace');
  el.dataset.op = shown.op;
  el.dataset.arrows = String(arrows.length);
  el.innerHTML = sequenceSvg(arrows, title);
}

/**
 * Shows an operation's trace: its arrows from the trace stream, history first and then live, so
 * that a running operation's diagram grows arrow by arrow. An ordered consumer gets each stored
 * arrow once, in order, however often a sender wrote it (the stream drops repeats by message id).
 */
async function show(op: string): Promise<void> {
  if (shown?.op === op) return;
  await shown?.msgs?.close();
  const mine = { op, entries: [] as Trace.Entry[], msgs: undefined as ConsumerMessages | undefined };
  shown = mine;
  later(drawTrace);
  later(drawOps);
  try {
    const c = await jetstream(nc).consumers.get(S.traceStream, { filter_subjects: `${S.tracePrefix}.${op}` });
    const msgs = await c.consume();
    if (shown !== mine) return void msgs.close();
    mine.msgs = msgs;
    for await (const m of msgs) {
      mine.entries.push(m.json<Trace.Entry>());
      later(drawTrace);
    }
  } catch (err) {
    if (shown === mine) $('trace-title').textContent = `${op}: cannot read its trace: ${(err as Error).message}`;
  }
}

async function main(): Promise<void> {
  status('connecting', 'connecting');
  const cfg = (await (await fetch('/config.json')).json()) as Config;
  S = cfg.subjects;
  nc = await wsconnect({
    servers: cfg.ws,
    name: 'console',
    ...(cfg.creds ? { authenticator: credsAuthenticator(new TextEncoder().encode(cfg.creds)) } : {}),
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
  });
  status(`connected to ${cfg.ws}`, 'connected');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnecting') status('reconnecting', 'reconnecting');
      else if (s.type === 'reconnect') {
        status(`connected to ${cfg.ws}`, 'connected');
        refresh();
      }
    }
  })();
  nc.subscribe(S.events, {
    callback: (err, m) => {
      if (err) return;
      try {
        feed.unshift(m.json<Events.Event>());
      } catch {
        return; // not an event: nothing to show
      }
      feed.length = Math.min(feed.length, FEED_MAX);
      later(drawFeed);
      refresh();
    },
  });
  $('ops').addEventListener('click', (e) => {
    const tr = (e.target as HTMLElement).closest<HTMLElement>('tr[data-op]');
    if (!tr) return;
    picked = true;
    void show(tr.dataset.op!);
  });
  const fromHash = () => {
    if (location.hash.length <= 1) return;
    picked = true;
    void show(decodeURIComponent(location.hash.slice(1)));
  };
  window.addEventListener('hashchange', fromHash);
  fromHash();
  refresh();
  setInterval(refresh, REFRESH_MS);
  setInterval(() => void pollHealth(), HEALTH_MS);
}

main().catch((err) => status(`cannot connect: ${(err as Error).message}`, 'error'));
