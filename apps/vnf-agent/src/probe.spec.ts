import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { httpGet, MalformedAnswerError, probe, readMetrics } from './probe.js';

// httpGet speaks HTTP/1.0 on node:net (the agent loads no node:http): checked here against Node's
// own HTTP server, which keeps connections alive and sends chunks to HTTP/1.1 clients
describe('httpGet', () => {
  const servers: (http.Server | net.Server)[] = [];
  const sockets = new Set<net.Socket>();
  afterAll(async () => {
    for (const sock of sockets) sock.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  const listen = async (s: http.Server | net.Server): Promise<number> => {
    servers.push(s);
    s.on('connection', (sock: net.Socket) => sockets.add(sock.once('close', () => sockets.delete(sock))));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  };
  const app = (handler: http.RequestListener) => listen(http.createServer({ keepAlive: true }, handler));

  it('reads the status and a body written in several pieces, and the path with its query', async () => {
    const port = await app((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"path":');
      setTimeout(() => res.end(`${JSON.stringify(req.url)},"v":"${req.httpVersion}"}`), 20);
    });
    const a = await httpGet(`http://127.0.0.1:${port}/health?x=1`, 1000);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ path: '/health?x=1', v: '1.0' });
  });

  it('returns at once when the declared length has arrived, even if the server keeps the connection', async () => {
    // a server that does not close after an HTTP/1.0 answer: the content-length ends the read
    const port = await listen(
      net.createServer((sock) => sock.once('data', () => sock.write('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\ndown'))),
    );
    const a = await httpGet(`http://127.0.0.1:${port}/`, 5000);
    expect(a).toEqual({ status: 503, body: 'down' });
  });

  it('cuts a large body at 64 KB', async () => {
    const port = await app((_req, res) => res.end('x'.repeat(200_000)));
    const a = await httpGet(`http://127.0.0.1:${port}/`, 2000);
    expect(a.status).toBe(200);
    expect(a.body.length).toBe(64 * 1024);
  });

  it('fails on silence after the timeout, on a refused connection and on an answer that is not HTTP', async () => {
    const silent = await listen(net.createServer(() => undefined));
    await expect(httpGet(`http://127.0.0.1:${silent}/`, 150)).rejects.toThrow('no answer in 150 ms');
    const closed = await listen(net.createServer());
    await new Promise((r) => servers.pop()?.close(r));
    // nothing listens there now
    await expect(httpGet(`http://127.0.0.1:${closed}/`, 500)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const junk = await listen(net.createServer((sock) => sock.once('data', () => sock.end('SSH-2.0-OpenSSH\r\n\r\n'))));
    await expect(httpGet(`http://127.0.0.1:${junk}/`, 500)).rejects.toThrow(MalformedAnswerError);
    const cut = await listen(net.createServer((sock) => sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\n'))));
    await expect(httpGet(`http://127.0.0.1:${cut}/`, 500)).rejects.toThrow('malformed http answer: no end of head');
  });

  it('probe needs a 2xx; readMetrics keeps the numeric fields', async () => {
    const port = await app((req, res) => {
      if (req.url === '/metrics') return res.end(JSON.stringify({ requests: 7, ok: true, name: 'x', p50: 1.5 }));
      res.writeHead(req.url === '/health' ? 204 : 500).end();
    });
    await expect(probe('127.0.0.1', port, 'health', 500)).resolves.toBeUndefined();
    await expect(probe('127.0.0.1', port, '/broken', 500)).rejects.toThrow('health check answered 500');
    await expect(readMetrics('127.0.0.1', port, 500)).resolves.toEqual({ requests: 7, p50: 1.5 });
  });
});
