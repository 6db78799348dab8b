import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Runs the script `main` with this Node.js until it exits: its exit code and all it wrote (stdout and stderr). */
export async function runToExit(main: string, o: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, [main], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  const [code] = (await once(p, 'exit')) as [number | null];
  return { code, out };
}
