import net from 'node:net';

const MAX_BODY = 64 * 1024;
const MAX_HEAD = 16 * 1024;

export interface HttpAnswer {
  status: number;
  body: string;
}

/** An answer that is not HTTP/1.x: no status line, or no end of its head. */
export class MalformedAnswerError extends Error {
  constructor(detail: string) {
    super(`malformed http answer: ${detail}`);
    this.name = 'MalformedAnswerError';
  }
}

/**
 * One GET on a fresh connection, as HTTP/1.0: the server answers without chunks and closes the
 * connection, so there is no keep-alive socket left behind to delay the app's stop. Written on
 * node:net because node:http costs every agent about 1.7 MB resident for one request shape
 * (docs/adr/0028-agent-bundle-commonjs.md). The body is cut at 64 KB.
 */
export function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      sock.destroy();
      if (err) return reject(err);
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    };
    const sock = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) });
    sock.setTimeout(timeoutMs, () => finish(new Error(`no answer in ${timeoutMs} ms`)));
    sock.once('connect', () => sock.write(`GET ${u.pathname}${u.search} HTTP/1.0\r\nHost: ${u.host}\r\nAccept: */*\r\n\r\n`));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      // enough read: the declared length, or the most we keep
      if (size >= MAX_HEAD + MAX_BODY || complete(Buffer.concat(chunks))) finish();
    });
    sock.once('end', () => finish());
    sock.once('close', () => finish());
    sock.once('error', (err) => finish(err));
  });
}

const HEAD_END = '\r\n\r\n';

/** whether the answer read so far holds its whole body, by its content-length */
function complete(buf: Buffer): boolean {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
  return m !== null && buf.length - end - HEAD_END.length >= Number(m[1]);
}

function parseAnswer(buf: Buffer): HttpAnswer {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) throw new MalformedAnswerError(buf.length ? 'no end of head' : 'empty');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(0, end).toString('latin1'));
  if (!status) throw new MalformedAnswerError('no status line');
  return { status: Number(status[1]), body: buf.subarray(end + HEAD_END.length, end + HEAD_END.length + MAX_BODY).toString('utf8') };
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no connection in ${timeoutMs} ms`)));
    sock.once('connect', () => {
      sock.destroy();
      resolve();
    });
    sock.once('error', reject);
  });
}

/** The health probe: 2xx on the HTTP path, or an accepted TCP connection when there is none. */
export async function probe(address: string, port: number, path: string | undefined, timeoutMs: number): Promise<void> {
  if (path === undefined) return tcpProbe(address, port, timeoutMs);
  const res = await httpGet(`http://${address}:${port}${path.startsWith('/') ? path : `/${path}`}`, timeoutMs);
  if (res.status < 200 || res.status > 299) throw new Error(`health check answered ${res.status}`);
}

/** The numeric fields of the app's /metrics JSON object, or undefined when it has none. */
export async function readMetrics(address: string, port: number, timeoutMs: number): Promise<Record<string, number> | undefined> {
  const res = await httpGet(`http://${address}:${port}/metrics`, timeoutMs);
  if (res.status < 200 || res.status > 299) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}` : (e?.message ?? String(err));
}
