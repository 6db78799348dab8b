// Example frontend: a round-robin HTTP reverse proxy in front of the clusters it depends on.
// Plain Node 20, no dependencies: the agent spawns it with `node frontend.mjs` and the VNF_* env,
// and sends SIGHUP after rewriting VNF_CONFIG with the providers' current endpoints.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream';

const env = process.env;
const NODE = env.VNF_NODE ?? 'frontend';
const ADDRESS = env.VNF_ADDRESS ?? '127.0.0.1';
const PORT = Number(env.VNF_PORT ?? 8000);
const CONFIG = env.VNF_CONFIG;
const UPSTREAM_CLUSTER = env.UPSTREAM_CLUSTER || null;
const RETRIES = Math.max(0, Number(env.PROXY_RETRIES ?? 0) || 0);
const GRACE_MS = 5000;
// Below the upstream servers' keep-alive timeout (Node's default is 5 s), so we drop an idle
// socket before the server does and never send a request into a connection it is closing.
const IDLE_SOCKET_MS = 4000;

// Headers that describe one connection, not the message; each hop sets its own.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

function log(level, msg, extra = {}) {
  process.stdout.write(JSON.stringify({ level, msg, node: NODE, time: new Date().toISOString(), ...extra }) + '\n');
}

// The agent replaces the file atomically (temp + rename), so a read sees the old or the new one,
// never half of it. A missing file only means we run outside an agent.
function readConfig() {
  if (!CONFIG) return null;
  try {
    return JSON.parse(readFileSync(CONFIG, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') log('error', 'cannot read config; keeping the previous one', { path: CONFIG, error: err.message });
    return null;
  }
}

// The current upstream list. It is only ever replaced, never mutated, so a request that picked
// an upstream from it keeps a consistent view whatever reloads happen meanwhile.
let upstreams = [];
let rr = 0;

function endpointsOf(config) {
  const endpoints = config.endpoints ?? {};
  const providers = UPSTREAM_CLUSTER ? [UPSTREAM_CLUSTER] : Object.keys(endpoints);
  const seen = new Map();
  for (const p of providers) for (const e of endpoints[p] ?? []) seen.set(`${e.node}@${e.address}:${e.port}`, e);
  return seen;
}

function applyConfig(config) {
  const current = new Map(upstreams.map((u) => [u.key, u]));
  const next = [];
  for (const [key, e] of endpointsOf(config)) {
    // An upstream that stays keeps its agent and therefore its warm keep-alive sockets.
    const kept = current.get(key);
    if (kept) current.delete(key);
    next.push(kept ?? { key, node: e.node, address: e.address, port: e.port, version: e.version, inflight: 0, removed: false,
      agent: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }) });
  }
  upstreams = next;
  generation = config.generation ?? 0;
  // Whatever is left was removed: close its sockets once its last request is done, so no idle
  // keep-alive connection keeps reaching a node that is no longer ours.
  for (const u of current.values()) {
    u.removed = true;
    if (u.inflight === 0) u.agent.destroy();
  }
  log('info', 'upstreams updated', { upstreams: next.map(({ node, address, port }) => ({ node, address, port })) });
}

function acquire(u) {
  u.inflight++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--u.inflight === 0 && u.removed) u.agent.destroy();
  };
}

// Round robin; `avoid` is the upstream that just failed, skipped when there is another one.
function pick(avoid) {
  const list = upstreams;
  if (list.length === 0) return null;
  let u = list[rr++ % list.length];
  if (avoid && u.key === avoid.key && list.length > 1) u = list[rr++ % list.length];
  return u;
}

let shuttingDown = false;

function send(res, status, body) {
  const headers = { 'content-type': 'application/json', 'x-frontend': NODE };
  if (shuttingDown) headers.connection = 'close';
  const data = JSON.stringify(body);
  headers['content-length'] = Buffer.byteLength(data);
  res.writeHead(status, headers).end(data);
}

function upstreamHeaders(req, bodyLength) {
  const headers = { ...req.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  // The body is buffered, so its length is known and it is sent in one piece.
  if (bodyLength > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(bodyLength);
  return headers;
}

// One attempt on one upstream. `retries` is what is left of PROXY_RETRIES; `stale` is whether
// we may still retry once after a reused keep-alive socket turned out to be closed.
function forward(req, res, body, u, retries, stale = true) {
  const release = acquire(u);
  const upReq = http.request({
    host: u.address, port: u.port, method: req.method, path: req.url, agent: u.agent,
    headers: upstreamHeaders(req, body.length),
  });

  upReq.on('response', (upRes) => {
    const headers = { ...upRes.headers, 'x-frontend': NODE, 'x-upstream': u.node };
    for (const h of HOP_BY_HOP) delete headers[h];
    if (shuttingDown) headers.connection = 'close';
    res.writeHead(upRes.statusCode, upRes.statusMessage, headers);
    // pipeline tears down both sides if either fails, e.g. the client going away mid-response.
    pipeline(upRes, res, (err) => {
      if (err) log('warn', 'response interrupted', { upstream: u.node, error: err.code ?? err.message });
    });
  });
  res.on('close', () => {
    // The client went away before its answer was complete: stop waiting on the upstream.
    if (!res.writableFinished) upReq.destroy();
    release();
  });

  upReq.on('error', (err) => {
    // Either the response had started (pipeline deals with it) or the client is gone.
    if (res.headersSent || res.writableEnded || res.destroyed) return release();
    const code = err.code ?? err.message;
    // A keep-alive socket the upstream closed while it sat idle fails before the upstream ever
    // saw the request, so one more try on a fresh connection is safe and is not a real failure.
    if (upReq.reusedSocket && stale) forward(req, res, body, u, retries, false);
    else {
      log('warn', 'upstream failed', { upstream: u.node, error: code, retriesLeft: retries });
      const next = retries > 0 && pick(u);
      if (next) forward(req, res, body, next, retries - 1);
      else send(res, 502, { error: code, upstream: u.node });
    }
    // Released only after the next attempt holds its upstream, so a removed upstream's agent is
    // not torn down between two attempts on it.
    release();
  });

  upReq.end(body);
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  // generation: which config this process has applied; the agent waits for it after a reload
  if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok', upstreams: upstreams.length, generation });
  if (req.method === 'GET' && path === '/upstreams') {
    return send(res, 200, upstreams.map(({ node, address, port, version }) => ({ node, address, port, version })));
  }

  // Buffer the body so that a retry can send it again.
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    // Picked only now, after the body is in: the request uses the list current at this moment.
    const u = pick(null);
    if (!u) return send(res, 503, { error: 'no upstream' });
    forward(req, res, Buffer.concat(chunks), u, RETRIES);
  });
});

let generation = 0;
process.on('SIGHUP', () => {
  const config = readConfig();
  if (config) applyConfig(config);
});

function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log('info', 'shutting down', { signal });
  server.close(() => {
    log('info', 'stopped');
    process.exit(0);
  });
  // Idle keep-alive connections would otherwise keep server.close() waiting; connections that
  // go idle later (their response began before shutdown) are swept up by the interval.
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 100).unref();
  setTimeout(() => {
    log('warn', 'grace period over; exiting with requests still open');
    process.exit(1);
  }, GRACE_MS).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.on('error', (err) => {
  log('error', 'server error', { error: err.message, code: err.code });
  process.exit(1);
});

applyConfig(readConfig() ?? {});
server.listen(PORT, ADDRESS, () => log('info', 'listening', { address: ADDRESS, port: PORT, pid: process.pid, upstreams: upstreams.length }));
