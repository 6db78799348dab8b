import http from 'node:http';
import net from 'node:net';

const MAX_BODY = 64 * 1024;

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET on a fresh connection (no keep-alive socket left behind to delay the app's stop). */
export function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < MAX_BODY) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
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
