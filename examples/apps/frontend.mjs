// Example frontend: a round-robin HTTP reverse proxy in front of the clusters it depends on.
// Plain Node 20, no dependencies: the agent spawns it with `node frontend.mjs` and the VNF_* env,
// and sends SIGHUP after rewriting VNF_CONFIG with the providers' current endpoints.
import http from 'node:http';
import { configReader, drainOnSignal, logger } from './app-kit.mjs';
import { pipeline } from 'node:stream';

const env = process.env;
const NODE = env.VNF_NODE ?? 'frontend';
const ADDRESS = env.VNF_ADDRESS ?? '127.0.0.1';
const PORT = Number(env.VNF_PORT ?? 8000);
const CONFIG = env.VNF_CONFIG;
const log = logger(NODE);
const readConfig = configReader(CONFIG, log);
const UPSTREAM_CLUSTER = env.UPSTREAM_CLUSTER || null;
// Retries on another upstream after a failure before any response byte. Two (three tries in
// all) ride out one or two dead nodes; each try on a dead node costs only a refused connect.
const RETRIES = Math.max(0, Math.floor(Number(env.PROXY_RETRIES ?? 2)) || 0);
// How long an upstream that refused a connection is skipped. Long enough that a dead node does not
// cost every request a retry until healing takes it out of the list, short enough that a node that
// only restarted is used again soon (the next request after it probes it).
const EJECT_MS = Math.max(0, Number(env.PROXY_EJECT_MS ?? 300) || 0);
// Bodies up to this size are kept in memory so that a retry can send them again; a larger one is
// streamed to a single upstream and never retried.
const BODY_BUFFER_MAX = Math.max(0, Number(env.PROXY_BODY_BUFFER_MAX ?? 64 * 1024) || 0);
const GRACE_MS = 5000;
// Below the upstream servers' keep-alive timeout (Node's default is 5 s), so we drop an idle
// socket before the server does and never send a request into a connection it is closing.
const IDLE_SOCKET_MS = 4000;

// Headers that describe one connection, not the message; each hop sets its own.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
// RFC 9110 9.2.2: sending these twice has the effect of sending them once, so a request that may
// have reached a dying upstream can be sent to another one. POST and PATCH only with an
// Idempotency-Key header, by which the client says its server makes them so.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
// Failures before any response byte that mean the upstream is gone or going: the connection was
// refused, or reset / closed before the response began (a killed process's sockets).
const RETRYABLE_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// Of those, the ones that say nothing listens there: the upstream is ejected for EJECT_MS.
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

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
    next.push(
      kept ?? {
        key,
        node: e.node,
        address: e.address,
        port: e.port,
        version: e.version,
        inflight: 0,
        removed: false,
        ejectedUntil: 0,
        agent: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
      },
    );
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

const ejected = (u, now) => u.ejectedUntil > now;

// Round robin over the upstreams not `tried` by this request yet, skipping ejected ones. A first
// try with every upstream ejected takes one anyway: ejection is only a guess, and failing at once
// would also never find out that a node is back. A retry never goes to an ejected upstream.
function pick(tried) {
  const list = upstreams;
  const now = Date.now();
  let fallback = null;
  for (let i = 0; i < list.length; i++) {
    const u = list[rr++ % list.length];
    if (tried.has(u.key)) continue;
    if (!ejected(u, now)) return u;
    fallback ??= u;
  }
  return tried.size === 0 ? fallback : null;
}

function eject(u) {
  if (EJECT_MS === 0 || ejected(u, Date.now())) return;
  u.ejectedUntil = Date.now() + EJECT_MS;
  log('warn', 'upstream ejected', { upstream: u.node, ms: EJECT_MS });
}

function send(res, status, body) {
  const headers = { 'content-type': 'application/json', 'x-frontend': NODE };
  if (drain.draining) headers.connection = 'close';
  const data = JSON.stringify(body);
  headers['content-length'] = Buffer.byteLength(data);
  res.writeHead(status, headers).end(data);
}

function upstreamHeaders(req, bodyLength) {
  const headers = { ...req.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  // A buffered body's length is known and it is sent in one piece; a streamed one keeps the
  // client's content-length, or goes chunked without one.
  if (bodyLength !== undefined && (bodyLength > 0 || req.headers['content-length'] !== undefined)) headers['content-length'] = String(bodyLength);
  return headers;
}

// Whether this request may be sent to another upstream after it may have reached one.
function mayRetry(req, body) {
  if (!Buffer.isBuffer(body)) return false; // streamed: what was sent cannot be sent again
  return IDEMPOTENT.has(req.method) || req.headers['idempotency-key'] !== undefined;
}

/**
 * One attempt of one exchange on one upstream. `x` is the exchange: the client's req and res, the
 * body (a Buffer, or the chunks read so far when the rest is streamed from req), whether it may be
 * retried elsewhere, the upstreams tried and the retries left. `stale` is whether we may still
 * retry once on the same upstream after a reused keep-alive socket turned out to be closed.
 */
function forward(x, u, stale = true) {
  const { req, res, body } = x;
  x.tried.add(u.key);
  const release = acquire(u);
  const streamed = !Buffer.isBuffer(body);
  const upReq = http.request({
    host: u.address,
    port: u.port,
    method: req.method,
    path: req.url,
    agent: u.agent,
    headers: upstreamHeaders(req, streamed ? undefined : body.length),
  });

  upReq.on('response', (upRes) => {
    const headers = { ...upRes.headers, 'x-frontend': NODE, 'x-upstream': u.node };
    for (const h of HOP_BY_HOP) delete headers[h];
    if (drain.draining) headers.connection = 'close';
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
    if (streamed) req.unpipe(upReq);
    // Either the response had started (pipeline deals with it) or the client is gone.
    if (res.headersSent || res.writableEnded || res.destroyed) return release();
    const code = err.code ?? err.message;
    if (CONNECT_ERRORS.has(code)) eject(u);
    // A keep-alive socket the upstream closed while it sat idle fails before the upstream ever
    // saw the request, so one more try on a fresh connection is safe and is not a real failure.
    // (A dead upstream refuses that fresh connection at once, and we go on below.)
    if (upReq.reusedSocket && stale && !streamed) forward(x, u, false);
    else {
      // Another upstream only when the request may run twice, and the failure says this one is
      // gone (nothing else: a timeout or a bad response would only move the problem elsewhere).
      const next = x.retryable && x.retries > 0 && RETRYABLE_ERRORS.has(code) ? pick(x.tried) : null;
      log('warn', 'upstream failed', { upstream: u.node, error: code, method: req.method, retry: next?.node ?? null });
      if (next) {
        x.retries--;
        forward(x, next);
      } else send(res, 502, { error: code, upstream: u.node });
    }
    // Released only after the next attempt holds its upstream, so a removed upstream's agent is
    // not torn down between two attempts on it.
    release();
  });

  if (!streamed) return void upReq.end(body);
  for (const c of body) upReq.write(c);
  req.pipe(upReq);
  req.resume();
}

// The exchange starts once the body is in, or once it outgrew BODY_BUFFER_MAX: the upstream is
// picked from the list current at that moment.
function start(req, res, body) {
  const x = { req, res, body, retryable: mayRetry(req, body), tried: new Set(), retries: RETRIES };
  const u = pick(x.tried);
  if (!u) return send(res, 503, { error: 'no upstream' });
  forward(x, u);
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  // generation: which config this process has applied; the agent waits for it after a reload
  if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok', upstreams: upstreams.length, generation });
  if (req.method === 'GET' && path === '/upstreams') {
    return send(
      res,
      200,
      upstreams.map(({ node, address, port, version }) => ({ node, address, port, version })),
    );
  }

  // Buffer a small body so that a retry can send it again; past the limit, stream the rest.
  const chunks = [];
  let size = 0;
  const onData = (c) => {
    chunks.push(c);
    size += c.length;
    if (size <= BODY_BUFFER_MAX) return;
    req.off('data', onData).off('end', onEnd).pause();
    start(req, res, chunks);
  };
  const onEnd = () => start(req, res, Buffer.concat(chunks));
  req.on('data', onData).on('end', onEnd);
});

let generation = 0;
process.on('SIGHUP', () => {
  const config = readConfig();
  if (config) applyConfig(config);
});

const drain = drainOnSignal(server, { log, graceMs: GRACE_MS });

applyConfig(readConfig() ?? {});
server.listen(PORT, ADDRESS, () => log('info', 'listening', { address: ADDRESS, port: PORT, pid: process.pid, upstreams: upstreams.length }));
