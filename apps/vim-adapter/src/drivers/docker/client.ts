import http from 'node:http';
import type { Socket } from 'node:net';

/** The Engine API version spoken: Docker 20.10's; later engines still accept it. */
const API = '/v1.41';
const DEFAULT_SOCKET = '/var/run/docker.sock';
const TIMEOUT_MS = 30_000;

/** A request the Docker Engine refused, or could not be sent; `status` 0 when there was no answer. */
export class DockerError extends Error {
  override name = 'DockerError';
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

/** The engine cannot be reached at all (no socket, no permission, no answer). */
export class DockerUnreachable extends DockerError {
  override name = 'DockerUnreachable';
}

/** The engine did not answer in time (it may be busy, or the call waits for something). */
export class DockerTimeout extends DockerUnreachable {
  override name = 'DockerTimeout';
}

/** 404: no such container, image, volume or path. */
export class DockerNotFound extends DockerError {
  override name = 'DockerNotFound';
}

/** 409: a name already taken, a container in the wrong state. */
export class DockerConflict extends DockerError {
  override name = 'DockerConflict';
}

/** What `list` and `inspect` return that the driver reads (the Engine API has much more). */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  /** created, running, paused, restarting, removing, exited, dead */
  State: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  /** the image's id */
  Image: string;
  State: { Status: string; Running: boolean; Pid: number; ExitCode: number; StartedAt: string; FinishedAt: string; OOMKilled: boolean };
  Config: { Labels: Record<string, string>; User: string; Image: string; Env: string[] };
  HostConfig: Record<string, unknown>;
}

export interface ImageInspect {
  Id: string;
  /** null in some imported images */
  Config: { Labels: Record<string, string> | null; Env?: string[]; User?: string } | null;
}

/** One event of GET /events (the fields read: a container's labels are its Actor's attributes). */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

/** HEAD archive: a path inside a container */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
}

/**
 * The few Docker Engine API endpoints the docker driver uses, over the engine's unix socket with
 * node:http (no client library). Every method throws a DockerError; 404 and 409 as their classes.
 */
export class DockerClient {
  constructor(readonly socketPath: string = DEFAULT_SOCKET) {}

  /** GET /_ping: whether the engine answers */
  async ping(): Promise<void> {
    await this.call('GET', '/_ping');
  }

  /** POST /containers/create: a container, not started; its id */
  async create(name: string, body: Record<string, unknown>): Promise<string> {
    const r = await this.json<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, body);
    return r.Id;
  }

  /** POST /containers/{id}/start; one already running is no error */
  async start(id: string): Promise<void> {
    await this.call('POST', `/containers/${enc(id)}/start`);
  }

  /** POST /containers/{id}/stop: SIGTERM (or the image's stop signal), SIGKILL after `graceS` seconds */
  async stop(id: string, graceS: number): Promise<void> {
    await this.call('POST', `/containers/${enc(id)}/stop?t=${Math.max(0, Math.round(graceS))}`, undefined, (graceS + 30) * 1000);
  }

  /** POST /containers/{id}/kill; a container not running is a DockerConflict */
  async kill(id: string, signal = 'SIGKILL'): Promise<void> {
    await this.call('POST', `/containers/${enc(id)}/kill?signal=${signal}`);
  }

  /**
   * POST /containers/{id}/wait?condition=not-running: true once the container is not running
   * (at once if it is not), false if it still runs after `timeoutMs`
   */
  async wait(id: string, timeoutMs: number): Promise<boolean> {
    try {
      await this.call('POST', `/containers/${enc(id)}/wait?condition=not-running`, undefined, timeoutMs);
      return true;
    } catch (err) {
      if (err instanceof DockerTimeout) return false;
      throw err;
    }
  }

  /** DELETE /containers/{id}: `force` kills it first when it runs; anonymous volumes go with it */
  async remove(id: string, o: { force?: boolean } = {}): Promise<void> {
    await this.call('DELETE', `/containers/${enc(id)}?v=1${o.force ? '&force=1' : ''}`);
  }

  /** GET /containers/{id}/json (id or name) */
  inspect(id: string): Promise<ContainerInspect> {
    return this.json('GET', `/containers/${enc(id)}/json`);
  }

  /** GET /containers/json?all=1 with label filters (`key` or `key=value`, all must hold) */
  list(labels: string[]): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labels }));
    return this.json('GET', `/containers/json?all=1&filters=${filters}`);
  }

  /** PUT /containers/{id}/archive: unpacks a tar at `path` (a folder that exists), owners as the tar says */
  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    await this.call('PUT', `/containers/${enc(id)}/archive?path=${encodeURIComponent(path)}`, tar, TIMEOUT_MS, 'application/x-tar');
  }

  /** GET /containers/{id}/archive: `path` as a tar */
  async getArchive(id: string, path: string): Promise<Buffer> {
    return (await this.call('GET', `/containers/${enc(id)}/archive?path=${encodeURIComponent(path)}`)).body;
  }

  /** HEAD /containers/{id}/archive: a path's stat, undefined when it does not exist */
  async stat(id: string, path: string): Promise<PathStat | undefined> {
    try {
      const r = await this.call('HEAD', `/containers/${enc(id)}/archive?path=${encodeURIComponent(path)}`);
      const header = r.headers['x-docker-container-path-stat'];
      return typeof header === 'string' ? JSON.parse(Buffer.from(header, 'base64').toString('utf8')) : undefined;
    } catch (err) {
      if (err instanceof DockerNotFound) return undefined;
      throw err;
    }
  }

  /** GET /containers/{id}/logs: the last `lines` of stdout and stderr, interleaved (no tty) */
  async logs(id: string, lines = 40): Promise<string> {
    const r = await this.call('GET', `/containers/${enc(id)}/logs?stdout=1&stderr=1&tail=${lines}`);
    return demux(r.body);
  }

  /**
   * GET /containers/{id}/logs with timestamps: the last `tail` lines, or those at or after `since`
   * (seconds since the epoch, with a fraction), each `<RFC 3339 nano timestamp> <line>`
   */
  async logLines(id: string, o: { tail: number; since?: string }): Promise<string> {
    const q = `stdout=1&stderr=1&timestamps=1&tail=${o.tail}${o.since ? `&since=${encodeURIComponent(o.since)}` : ''}`;
    const r = await this.call('GET', `/containers/${enc(id)}/logs?${q}`);
    return demux(r.body);
  }

  /**
   * POST /containers/{id}/attach?stream=1&stdin=1, upgraded to a raw stream: what is written to
   * the socket reaches the container's standard input (created with OpenStdin); ending it closes
   * that input only if the container was made with StdinOnce. Attach before start so that
   * nothing is lost.
   */
  attachStdin(id: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        method: 'POST',
        path: `${API}/containers/${enc(id)}/attach?stream=1&stdin=1&stdout=0&stderr=0`,
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
        timeout: TIMEOUT_MS,
      });
      req.once('upgrade', (_res, socket) => {
        req.setTimeout(0);
        resolve(socket);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(fromStatus(res.statusCode ?? 0, Buffer.concat(chunks))));
      });
      req.once('timeout', () => req.destroy(new DockerUnreachable('docker did not answer')));
      req.once('error', (err) => reject(err instanceof DockerError ? err : unreachable(err)));
      req.end();
    });
  }

  /** GET /images/{name}/json */
  inspectImage(name: string): Promise<ImageInspect> {
    return this.json('GET', `/images/${encodeURIComponent(name)}/json`);
  }

  /** GET /volumes/{name}: whether it exists */
  async volumeExists(name: string): Promise<boolean> {
    try {
      await this.call('GET', `/volumes/${enc(name)}`);
      return true;
    } catch (err) {
      if (err instanceof DockerNotFound) return false;
      throw err;
    }
  }

  /** POST /volumes/create (an existing one of that name is returned as it is) */
  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call('POST', '/volumes/create', { Name: name, Labels: labels });
  }

  /** DELETE /volumes/{name}; one some container uses is a DockerConflict */
  async removeVolume(name: string): Promise<void> {
    await this.call('DELETE', `/volumes/${enc(name)}`);
  }

  /**
   * GET /events, kept open: each event Docker sends (one JSON object a line) goes to `onEvent`
   * as it comes, until the stream ends or fails, which `onEnd` is told once (never after `close`).
   * `since` (seconds since the epoch) replays what the engine still holds from then on; `onOpen`
   * is called once the engine has accepted the request.
   */
  events(
    filters: Record<string, string[]>,
    o: { since?: string; onOpen?: () => void },
    onEvent: (e: DockerEvent) => void,
    onEnd: (err: Error) => void,
  ): { close(): void } {
    let done = false;
    const end = (err: Error) => {
      if (done) return;
      done = true;
      onEnd(err);
    };
    const query = `filters=${encodeURIComponent(JSON.stringify(filters))}${o.since ? `&since=${encodeURIComponent(o.since)}` : ''}`;
    // no timeout: an hour without a death is no failure
    const req = http.request({ socketPath: this.socketPath, method: 'GET', path: `${API}/events?${query}` }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => end(fromStatus(status, Buffer.concat(chunks))));
        return;
      }
      o.onOpen?.();
      res.setEncoding('utf8');
      let rest = '';
      res.on('data', (chunk: string) => {
        rest += chunk;
        for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
          const line = rest.slice(0, nl).trim();
          rest = rest.slice(nl + 1);
          if (!line) continue;
          let e: DockerEvent;
          try {
            e = JSON.parse(line);
          } catch {
            continue;
          }
          if (!done) onEvent(e);
        }
      });
      res.on('error', (err) => end(unreachable(err)));
      res.on('end', () => end(new DockerUnreachable('docker ended the event stream')));
    });
    req.once('error', (err) => end(err instanceof DockerError ? err : unreachable(err)));
    req.end();
    return {
      close: () => {
        done = true;
        req.destroy();
      },
    };
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.call(method, path, body);
    return JSON.parse(r.body.toString('utf8')) as T;
  }

  private call(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = TIMEOUT_MS,
    type = 'application/json',
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: `${API}${path}`,
          headers: payload ? { 'Content-Type': type, 'Content-Length': payload.length } : {},
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(unreachable(err)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const data = Buffer.concat(chunks);
            if (status >= 200 && status < 400) resolve({ status, headers: res.headers, body: data });
            else reject(fromStatus(status, data));
          });
        },
      );
      req.once('timeout', () => req.destroy(new DockerTimeout(`docker did not answer ${method} ${path.split('?')[0]} within ${timeoutMs} ms`)));
      req.once('error', (err) => reject(err instanceof DockerError ? err : unreachable(err)));
      req.end(payload);
    });
  }
}

const enc = (s: string) => encodeURIComponent(s);

function unreachable(err: Error): DockerUnreachable {
  return new DockerUnreachable(`docker unreachable: ${err.message || (err as NodeJS.ErrnoException).code || 'no answer'}`);
}

/** The engine's own message ({"message": "..."}), lowercased as ours are. */
function fromStatus(status: number, body: Buffer): DockerError {
  let message = body.toString('utf8').trim();
  try {
    message = JSON.parse(message).message ?? message;
  } catch {
    /* plain text */
  }
  message = message ? message.charAt(0).toLowerCase() + message.slice(1) : `docker answered ${status}`;
  if (status === 404) return new DockerNotFound(message, status);
  if (status === 409) return new DockerConflict(message, status);
  return new DockerError(message, status);
}

/**
 * A container's output without a tty comes as frames: 1 byte stream (1 stdout, 2 stderr), 3
 * zero bytes, a 4-byte big-endian length, then the payload.
 */
export function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  // not framed at all (a tty): as it is
  return parts.length === 0 && buf.length ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
}
