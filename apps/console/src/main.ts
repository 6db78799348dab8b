#!/usr/bin/env node
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@vnf-lcm/bus';
import { Events, Query, Trace } from '@vnf-lcm/contracts';

/**
 * The web console's small static server (docs/adr/0019-web-console.md): the page, its bundled
 * script, and /config.json, which hands the page the NATS WebSocket URL and the observer's
 * credentials. Everything the page shows it reads itself over NATS, from the public subjects any
 * client uses: this server has no API of its own and no NATS connection.
 *
 *   CONSOLE_PORT   (8223; 0 = any free port, logged)   CONSOLE_HOST (127.0.0.1: loopback only)
 *   CONSOLE_WS_URL the NATS WebSocket listener, e.g. ws://127.0.0.1:8224
 *   NATS_CREDS     the observer's credentials file (none: an open server)
 */
const log = createLogger('console');
const here = dirname(fileURLToPath(import.meta.url));
const PUBLIC = join(here, 'public');

/** The subjects the page uses, from libs/contracts, so that the page has no copy of its own. */
const SUBJECTS = {
  vnfList: Query.Subject.vnfList,
  vnfGet: Query.Subject.vnfGet,
  opList: Query.Subject.opList,
  opTrace: Query.Subject.opTrace,
  events: Events.ALL,
  nodeHealth: Query.Subject.nodeHealth,
  traceStream: Trace.STREAM,
  tracePrefix: Trace.SubjectPrefix,
} as const;
export type ConsoleSubjects = typeof SUBJECTS;

class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const host = process.env.CONSOLE_HOST || '127.0.0.1';
const port = Number(process.env.CONSOLE_PORT ?? 8223);
const wsUrl = process.env.CONSOLE_WS_URL;
try {
  // the page hands out credentials: only this machine may ask for them
  if (!LOOPBACK.test(host)) throw new ConfigError(`CONSOLE_HOST must be a loopback address (127.0.0.0/8), not ${host}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`CONSOLE_PORT must be a port number, not ${process.env.CONSOLE_PORT}`);
  if (!wsUrl || !/^wss?:\/\//.test(wsUrl)) throw new ConfigError('CONSOLE_WS_URL must name the NATS WebSocket listener (ws://127.0.0.1:8224)');
} catch (err) {
  log.fatal({ err: (err as Error).message }, 'console not started');
  process.exit(2);
}
const creds = process.env.NATS_CREDS ? readFileSync(process.env.NATS_CREDS, 'utf8') : '';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
};
/** read once at start: the files do not change while the console runs */
const content = new Map(Object.entries(FILES).map(([path, f]) => [path, readFileSync(join(PUBLIC, f.file))]));

/** localhost or a loopback address, with any port: a page fetched through another name (DNS rebinding) gets nothing */
function loopbackRequest(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress ?? '';
  const name = (req.headers.host ?? '').replace(/:\d+$/, '');
  return (LOOPBACK.test(peer) || peer.startsWith('::ffff:127.')) && (LOOPBACK.test(name) || name === 'localhost');
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': `default-src 'self'; connect-src 'self' ${new URL(wsUrl!).origin}; img-src 'self' data:`,
  });
  res.end(body);
}
const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json', JSON.stringify(body));
/** the project's error shape, with HTTP's own codes (forbidden and method_not_allowed are HTTP's alone) */
const refuse = (res: ServerResponse, code: number, err_code: string, description: string) => json(res, code, { error: { code, err_code, description } });

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://console').pathname;
  if (req.method !== 'GET') return refuse(res, 405, 'method_not_allowed', `${req.method} is not served: the console is read-only`);
  if (!loopbackRequest(req)) {
    log.warn({ peer: req.socket.remoteAddress, host: req.headers.host }, 'refused a request from off this machine');
    return refuse(res, 403, 'forbidden', 'the console answers loopback requests to a loopback name only');
  }
  // no icon: an empty answer rather than a 404 in the browser's console
  if (path === '/favicon.ico') return void res.writeHead(204).end();
  if (path === '/config.json') return json(res, 200, { ws: wsUrl, creds, subjects: SUBJECTS });
  const f = FILES[path];
  if (!f) return refuse(res, 404, 'not_found', `no such page: ${path}`);
  send(res, 200, f.type, content.get(path)!);
});

server.listen(port, host, () => {
  const a = server.address();
  const url = `http://${host}:${typeof a === 'object' && a ? a.port : port}/`;
  log.info({ url, ws: wsUrl, observer: Boolean(creds) }, 'console listening');
});
server.on('error', (err) => {
  log.fatal({ err: err.message }, 'console cannot listen');
  process.exit(1);
});
for (const s of ['SIGINT', 'SIGTERM'] as const)
  process.once(s, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
