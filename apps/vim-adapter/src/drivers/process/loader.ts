import { chmodSync, closeSync, copyFileSync, lstatSync, openSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { RunAs } from './run-as.js';

/** the file, in the zone's root folder (root's, 0755), the zone's agents are started through */
export const LOADER_FILE = '.agent-loader';
const PT_INTERP = 3;

/**
 * An execute-only copy (root's, 0511) of the dynamic loader Node.js names, through which a root
 * adapter starts the zone's agents: `<loader> <node> <agent> --node=<id>`. The kernel makes a
 * process whose program it cannot read non-dumpable, so the application, which runs as the same
 * unprivileged user as its agent, can neither ptrace it nor read its memory (the node's seed) or
 * its environment through /proc, whatever Yama's setting. As the docker driver's agents are
 * started (scripts/images.mjs). Each exec makes the process dumpable again: the application,
 * the image's or the host's program, is not concerned.
 *
 * undefined, and agents started as before, when the adapter is not root (its children are its
 * own user's anyway), when Node.js names no loader (a static build), or when the zone's root
 * folder is not root's alone (the copy must not be replaceable).
 */
export function agentLoader(root: string, runAs: RunAs | undefined, node = process.execPath): string | undefined {
  if (!runAs) return undefined;
  const interp = interpreterOf(node);
  if (!interp) return undefined;
  const st = lstatSync(root);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) return undefined;
  const file = join(root, LOADER_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  copyFileSync(interp, tmp);
  chmodSync(tmp, 0o511);
  renameSync(tmp, file);
  return file;
}

/** The program and arguments that start an agent of the zone with `args` (its Node.js flags, entry and own arguments). */
export function agentCommand(agentLoader: string | undefined, args: string[]): [string, string[]] {
  return agentLoader ? [agentLoader, [process.execPath, ...args]] : [process.execPath, args];
}

/** PT_INTERP of an ELF64 executable: the loader the kernel would run it with; undefined if none */
export function interpreterOf(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    // ELF, 64-bit, little-endian: what Node.js runs on here; anything else is started as before
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (ph.readUInt32LE(at) !== PT_INTERP) continue;
      const offset = Number(ph.readBigUInt64LE(at + 8));
      const size = Number(ph.readBigUInt64LE(at + 32));
      const name = Buffer.alloc(size);
      readSync(fd, name, 0, size, offset);
      return name.toString('latin1').replace(/\0+$/, '') || undefined;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
