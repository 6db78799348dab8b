import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentCommand, agentLoader, interpreterOf, LOADER_FILE } from './loader.js';

const runAs = { user: 'vnf-lcm', uid: 65534, gid: 65534 };
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vnf-loader-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("Node.js's loader is read from its ELF header; a file that is no ELF executable names none", () => {
  const interp = interpreterOf(process.execPath)!;
  expect(interp).toMatch(/^\/.*ld-linux.*\.so/);
  expect(statSync(interp).isFile()).toBe(true);
  writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n');
  expect(interpreterOf(join(dir, 'script'))).toBeUndefined();
});

test('agents are started through the loader, Node.js its first argument, or by Node.js itself without one', () => {
  expect(agentCommand(undefined, ['--flag', 'agent.cjs'])).toEqual([process.execPath, ['--flag', 'agent.cjs']]);
  expect(agentCommand('/r/.agent-loader', ['--flag', 'agent.cjs'])).toEqual(['/r/.agent-loader', [process.execPath, '--flag', 'agent.cjs']]);
});

test('no loader for an adapter that is not root, nor in a folder another user may write to', () => {
  expect(agentLoader(dir, undefined)).toBeUndefined();
  chmodSync(dir, 0o777);
  expect(agentLoader(dir, runAs)).toBeUndefined();
});

test("a root adapter's loader is an execute-only copy of Node.js's, root's (a folder of another owner gets none)", () => {
  chmodSync(dir, 0o755);
  const made = agentLoader(dir, runAs);
  if (process.getuid?.() !== 0) {
    expect(made).toBeUndefined();
    return;
  }
  expect(made).toBe(join(dir, LOADER_FILE));
  const st = statSync(made!);
  expect({ uid: st.uid, mode: st.mode & 0o7777 }).toEqual({ uid: 0, mode: 0o511 });
  expect(readFileSync(made!).equals(readFileSync(interpreterOf(process.execPath)!))).toBe(true);
});
