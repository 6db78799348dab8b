import http from 'node:http';

export interface Sample {
  start: number;
  end: number;
  status: number;
  /** the backend that answered (x-upstream), or the error */
  upstream?: string;
  version?: string;
  error?: string;
}

/**
 * A bounded load generator: `workers` loops, each sending GETs one after another (keep-alive)
 * round-robin over the given URLs, until stopped or `maxMs` passed.
 */
export class Load {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly urls: () => string[],
    workers = 4,
    maxMs = 120_000,
    private readonly pauseMs = 2,
  ) {
    const until = Date.now() + maxMs;
    this.done = Promise.all(Array.from({ length: workers }, (_, w) => this.worker(w, until))).then(() => undefined);
  }

  private async worker(w: number, until: number) {
    let i = w;
    while (this.running && Date.now() < until) {
      const list = this.urls();
      if (!list.length) break;
      this.samples.push(await this.get(list[i++ % list.length]));
      if (this.pauseMs) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  private get(url: string): Promise<Sample> {
    const start = Date.now();
    return new Promise((resolve) => {
      const req = http.get(url, { agent: this.agent, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          let version: string | undefined;
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

  async stop(): Promise<Sample[]> {
    this.running = false;
    await this.done;
    this.agent.destroy();
    return this.samples;
  }

  static failures(samples: Sample[]): Sample[] {
    return samples.filter((s) => s.status !== 200);
  }
}
