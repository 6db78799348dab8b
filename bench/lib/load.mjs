// A bounded load generator, shared by the benchmarks and the tests (test/support/load.ts): plain
// JavaScript so that the benchmarks run without a TypeScript build. Types: load.d.mts.
import http from 'node:http';

/**
 * `workers` loops, each sending GETs one after another (keep-alive) round-robin over the URLs
 * `urls()` gives at that moment, until stopped or `maxMs` passed.
 */
export class Load {
  constructor(urls, workers = 4, maxMs = 120_000, pauseMs = 2) {
    this.urls = urls;
    this.pauseMs = pauseMs;
    this.samples = [];
    this.running = true;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const until = Date.now() + maxMs;
    this.done = Promise.all(Array.from({ length: workers }, (_, w) => this.worker(w, until))).then(() => undefined);
  }

  async worker(w, until) {
    let i = w;
    while (this.running && Date.now() < until) {
      const list = this.urls();
      if (!list.length) break;
      this.samples.push(await this.get(list[i++ % list.length]));
      if (this.pauseMs) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  get(url) {
    const start = Date.now();
    return new Promise((resolve) => {
      const req = http.get(url, { agent: this.agent, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          let version;
          try {
            version = JSON.parse(body).version;
          } catch {
            /* not json */
          }
          resolve({ start, end: Date.now(), status: res.statusCode ?? 0, upstream: String(res.headers['x-upstream'] ?? ''), version });
        });
        res.on('error', (e) => resolve({ start, end: Date.now(), status: 0, error: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ start, end: Date.now(), status: 0, error: e.message }));
    });
  }

  async stop() {
    this.running = false;
    await this.done;
    this.agent.destroy();
    return this.samples;
  }

  static failures(samples) {
    return samples.filter((s) => s.status !== 200);
  }
}
