import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { HAS_PROC, procCmdline, procEnviron, procPids, procRunning, procStat } from './procfs.js';

// real processes: a child of ours, and a zombie (a shell's child that its exec'd `sleep` never reaps)
const linux = HAS_PROC ? describe : describe.skip;

linux('procfs: what /proc says of a pid', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  test('a child: running, ours as parent, its own environment and arguments', async () => {
    const child = spawn('sleep', ['30'], { env: { PATH: process.env.PATH, PROCFS_SPEC: 'yes' }, detached: true });
    children.push(child);
    await once(child, 'spawn');
    const pid = child.pid!;
    expect(procStat(pid)).toMatchObject({ ppid: process.pid, pgid: pid, start: expect.stringMatching(/^\d+$/) });
    expect(procRunning(pid)).toBe(true);
    expect(procEnviron(pid)).toContain('PROCFS_SPEC=yes');
    expect(procCmdline(pid)?.slice(0, 2)).toEqual(['sleep', '30']);
    expect(procPids()).toContain(pid);
    expect(procPids()).not.toContain(process.pid);
  });

  test('a zombie is not running; a reaped pid is not there at all', async () => {
    const shell = spawn('sh', ['-c', 'sleep 0 & exec sleep 30']);
    children.push(shell);
    await once(shell, 'spawn');
    let zombie: number | undefined;
    for (const until = Date.now() + 5_000; zombie === undefined && Date.now() < until; await new Promise((r) => setTimeout(r, 20)))
      zombie = procPids().find((p) => procStat(p)?.ppid === shell.pid && procStat(p)?.state === 'Z');
    expect(procStat(zombie!)?.state).toBe('Z');
    expect(procRunning(zombie!)).toBe(false);

    shell.kill('SIGKILL');
    await once(shell, 'exit');
    expect(procRunning(shell.pid!)).toBe(false);
    expect(procStat(shell.pid!)).toBeUndefined();
    expect(procEnviron(shell.pid!)).toBeUndefined();
  });
});
