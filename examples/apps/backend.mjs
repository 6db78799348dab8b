// Example backend: a small HTTP service that says who it is, for the "web" example VNF.
// Plain Node 20, no dependencies: the agent spawns it with `node backend.mjs` and the VNF_* env.
import http from 'node:http';
import { configReader, drainOnSignal, logger } from './app-kit.mjs';

const env = process.env;
const NODE = env.VNF_NODE ?? 'backend';
const ADDRESS = env.VNF_ADDRESS ?? '127.0.0.1';
const PORT = Number(env.VNF_PORT ?? 8080);
const CONFIG = env.VNF_CONFIG;
const log = logger(NODE);
const readConfig = configReader(CONFIG, log);
const UNHEALTHY = env.BACKEND_UNHEALTHY === '1';
const START_DELAY_MS = Number(env.BACKEND_START_DELAY_MS ?? 0);
const GRACE_MS = 5000;
const WINDOW_S = 5;

let config = readConfig() ?? {};
const identity = () => ({
  node: NODE,
  cluster: env.VNF_CLUSTER ?? config.cluster ?? null,
  version: env.VNF_VERSION ?? config.version ?? null,
  address: ADDRESS,
  pid: process.pid,
});

// Requests per second over a sliding window, kept as counters of 100 ms buckets so memory stays
// constant whatever the load. Slot i holds the count of bucket number `stamps[i]`.
const BUCKET_MS = 100;
const SLOTS = (WINDOW_S * 1000) / BUCKET_MS;
const counts = new Array(SLOTS).fill(0);
const stamps = new Array(SLOTS).fill(Number.NEGATIVE_INFINITY);
function countHit() {
  const bucket = Math.floor(Date.now() / BUCKET_MS);
  const i = bucket % SLOTS;
  if (stamps[i] !== bucket) {
    stamps[i] = bucket;
    counts[i] = 0;
  }
  counts[i]++;
}
function rps() {
  const now = Math.floor(Date.now() / BUCKET_MS);
  let hits = 0;
  for (let i = 0; i < SLOTS; i++) if (now - stamps[i] < SLOTS) hits += counts[i];
  // A process younger than the window has not had the whole window to collect hits.
  const span = Math.min(WINDOW_S, Math.max(1, process.uptime()));
  return Math.round((hits / span) * 100) / 100;
}

let requestsTotal = 0;
let inflight = 0;

function send(res, status, body) {
  const headers = { 'content-type': 'application/json', 'x-node': NODE };
  // Without this, a keep-alive client could hold the connection open and delay our exit.
  if (drain.draining) headers.connection = 'close';
  const data = JSON.stringify(body);
  headers['content-length'] = Buffer.byteLength(data);
  res.writeHead(status, headers).end(data);
}

const server = http.createServer((req, res) => {
  requestsTotal++;
  inflight++;
  res.on('close', () => inflight--);
  const path = req.url.split('?')[0];

  if (req.method === 'GET' && path === '/') {
    countHit();
    return send(res, 200, identity());
  }
  if (req.method === 'GET' && path === '/health') {
    // generation: which config this process has applied; the agent waits for it after a reload
    return UNHEALTHY ? send(res, 503, { status: 'unhealthy' }) : send(res, 200, { status: 'ok', generation: config.generation ?? 0 });
  }
  if (req.method === 'GET' && path === '/metrics') {
    return send(res, 200, { requests_total: requestsTotal, rps: rps(), inflight, uptime_s: Math.round(process.uptime()) });
  }
  if (req.method === 'GET' && path === '/members') {
    return send(res, 200, config.members ?? []);
  }
  send(res, 404, { error: 'not found', path });
});

process.on('SIGHUP', () => {
  const next = readConfig();
  if (!next) return;
  config = next;
  log('info', 'config reloaded', { members: (config.members ?? []).map((m) => m.node) });
});

const drain = drainOnSignal(server, { log, graceMs: GRACE_MS, detail: () => ({ inflight }) });

setTimeout(() => {
  server.listen(PORT, ADDRESS, () => log('info', 'listening', { address: ADDRESS, port: PORT, ...identity() }));
}, START_DELAY_MS);
