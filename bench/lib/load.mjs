// A bounded, steady load through the frontends: `workers` loops of keep-alive GETs.
import http from 'node:http';

export class Load {
  constructor(urls, workers = 4, pauseMs = 5, maxMs = 600_000) {
    this.samples = [];
    this.running = true;
    this.agent = new http.Agent({ keepAlive: true });
    const until = Date.now() + maxMs;
    this.done = Promise.all(Array.from({ length: workers }, (_, w) => this.worker(urls, w, until, pauseMs)));
  }

  async worker(urls, w, until, pauseMs) {
    for (let i = w; this.running && Date.now() < until; i++) {
      this.samples.push(await this.get(urls()[i % urls().length]));
      await new Promise((r) => setTimeout(r, pauseMs));
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
          resolve({ start, end: Date.now(), status: res.statusCode, version });
        });
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
}
