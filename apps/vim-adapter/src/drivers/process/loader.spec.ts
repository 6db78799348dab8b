import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentLoader, agentCommand, interpreterOf, LOADER_FILE } from './loader.js';

const runAs = { user: 'vnf-lcm', uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnf-loader-'));
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** an ELF64 header with one program header, PT_INTERP naming `interp`: all interpreterOf reads */
function fakeElf(interp: string): Buffer {
  const name = Buffer.from(`${interp}\0`, 'latin1');
  const h = Buffer.alloc(64 + 56 + name.length);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = 2; // 64-bit
  h[5] = 1; // little-endian
  h.writeBigUInt64LE(64n, 0x20); // e_phoff
  h.writeUInt16LE(56, 0x36); // e_phentsize
  h.writeUInt16LE(1, 0x38); // e_phnum
  h.writeUInt32LE(3, 64); // PT_INTERP
  h.writeBigUInt64LE(120n, 64 + 8); // p_offset
  h.writeBigUInt64LE(BigInt(name.length), 64 + 32); // p_filesz
  name.copy(h, 120);
  return h;
}

test("Node.js's loader is read from its ELF header; a file that is no ELF executable names none", () => {
  const interp = interpreterOf(process.execPath)!;
  expect(interp).toMatch(/^\/.*ld-linux.*\.so/);
  expect(statSync(interp).isFile()).toBe(true);
  writeFileSync(join(dir, 'fake'), fakeElf('/lib/ld-fake.so.1'));
  expect(interpreterOf(join(dir, 'fake'))).toBe('/lib/ld-fake.so.1');
  writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n');
  expect(interpreterOf(join(dir, 'script'))).toBeUndefined();
});

test('agents are started through the loader, Node.js its first argument, or by Node.js itself without one', () => {
  expect(agentCommand(undefined, ['--flag', 'agent.cjs'])).toEqual([process.execPath, ['--flag', 'agent.cjs']]);
  expect(agentCommand('/r/.agent-loader', ['--flag', 'agent.cjs'])).toEqual(['/r/.agent-loader', [process.execPath, '--flag', 'agent.cjs']]);
});

test('no loader for an adapter that is not root, nor in a folder another user may write to', () => {
  expect(AgentLoader.for(dir, undefined)).toBeUndefined();
  chmodSync(dir, 0o775);
  expect(AgentLoader.for(dir, runAs)).toBeUndefined();
});

test("a root adapter's loader is an execute-only copy, root's, made again when the loader it copies changes", () => {
  const ld = join(dir, 'ld-fake.so');
  writeFileSync(ld, 'loader one');
  writeFileSync(join(dir, 'node'), fakeElf(ld));
  const loader = AgentLoader.for(dir, runAs, join(dir, 'node'));
  if (!isRoot) {
    expect(loader).toBeUndefined();
    return;
  }
  const file = loader!.path();
  expect(file).toBe(join(dir, LOADER_FILE));
  const st = statSync(file);
  expect({ uid: st.uid, mode: st.mode & 0o7777 }).toEqual({ uid: 0, mode: 0o511 });
  expect(readFileSync(file, 'utf8')).toBe('loader one');
  // unchanged: the same copy, not made again
  expect(loader!.path()).toBe(file);
  expect(statSync(file).ino).toBe(st.ino);
  // a libc upgrade brings another loader: the next start gets it
  writeFileSync(ld, 'loader two, longer');
  loader!.path();
  expect(readFileSync(file, 'utf8')).toBe('loader two, longer');
  // a copy removed (or replaced) behind the adapter's back is made again, not trusted
  rmSync(file);
  expect(loader!.path()).toBe(file);
  expect(statSync(file).mode & 0o7777).toBe(0o511);
});
