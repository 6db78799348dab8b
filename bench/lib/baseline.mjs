// The cost no orchestrator can avoid: starting the application process and waiting until its
// health check answers. Measured here, in the same run, as the benchmarks' baseline.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { ROOT, sleep } from './system.mjs';

function healthy(address, port) {
  return new Promise((resolve) => {
    const req = http.get({ host: address, port, path: '/health', agent: false, timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts `app` (a file of examples/apps or bench/apps) on address:port, until healthy; ms taken. */
export async function startOnce(file, address, port) {
  const t0 = performance.now();
  const p = spawn(process.execPath, [file], { env: { ...process.env, VNF_ADDRESS: address, VNF_PORT: String(port), VNF_NODE: 'baseline' }, stdio: 'ignore' });
  try {
    while (!(await healthy(address, port))) await sleep(20);
    return performance.now() - t0;
  } finally {
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}

export const BACKEND = join(ROOT, 'examples/apps/backend.mjs');
