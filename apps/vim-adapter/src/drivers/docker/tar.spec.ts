import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demux } from './client.js';
import { tar, untar } from './tar.js';

test('tar writes what GNU tar reads: names, modes, owners, contents', () => {
  const t = tar([
    { name: 'vnf-lcm', type: 'dir', mode: 0o755 },
    { name: 'vnf-lcm/hello', type: 'file', mode: 0o644, body: '' },
    { name: 'vnf-lcm/host', type: 'dir', mode: 0o700, uid: 65534, gid: 65534 },
    { name: 'vnf-lcm/identity.jwt', type: 'file', mode: 0o600, body: 'x'.repeat(700) },
  ]);
  expect(t.length % 512).toBe(0);
  const listing = execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: t, encoding: 'utf8' });
  expect(listing).toMatch(/^drwxr-xr-x 0\/0 +0 .* vnf-lcm\/$/m);
  expect(listing).toMatch(/^drwx------ 65534\/65534 +0 .* vnf-lcm\/host\/$/m);
  expect(listing).toMatch(/^-rw------- 0\/0 +700 .* vnf-lcm\/identity\.jwt$/m);
  const dir = mkdtempSync(join(tmpdir(), 'tar-spec-'));
  try {
    execFileSync('tar', ['-xf', '-', '-C', dir], { input: t });
    expect(readFileSync(join(dir, 'vnf-lcm/identity.jwt'), 'utf8')).toBe('x'.repeat(700));
    expect(statSync(join(dir, 'vnf-lcm/host')).mode & 0o777).toBe(0o700);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('untar reads the files of what GNU tar writes, and of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tar-spec-'));
  try {
    execFileSync('sh', ['-c', `mkdir -p ${dir}/d && printf 'eyJ.a.b\\n' > ${dir}/d/identity.jwt`]);
    const files = untar(execFileSync('tar', ['-cf', '-', '-C', dir, 'd']));
    expect([...files.keys()]).toEqual(['d/identity.jwt']);
    expect(files.get('d/identity.jwt')!.toString()).toBe('eyJ.a.b\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const own = untar(
    tar([
      { name: 'a', type: 'dir', mode: 0o755 },
      { name: 'a/b', type: 'file', mode: 0o644, body: 'B' },
    ]),
  );
  expect(Object.fromEntries([...own].map(([k, v]) => [k, v.toString()]))).toEqual({ 'a/b': 'B' });
});

test("demux joins a container's framed stdout and stderr", () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more\n')]))).toBe('out\nerr\nmore\n');
  expect(demux(Buffer.alloc(0))).toBe('');
});
