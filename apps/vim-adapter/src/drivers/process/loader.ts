import { chmodSync, closeSync, constants, copyFileSync, lstatSync, openSync, readSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunAs } from './run-as.js';

/** the file, in the zone's root folder, the zone's agents are started through */
export const LOADER_FILE = '.agent-loader';
const PT_INTERP = 3;

/**
 * An execute-only copy (root's, 0511) of the dynamic loader Node.js names, through which a root
 * adapter starts the zone's agents: `<loader> <node> <agent> --node=<id>`. The kernel makes a
 * process whose program it cannot read non-dumpable, so the application, which runs as the same
 * unprivileged user as its agent, can neither ptrace it nor read its memory (the node's seed) or
 * its environment through /proc, whatever Yama's setting (ADR 32). The docker driver's agents
 * start so too (scripts/images.mjs). Each exec makes a process dumpable again: the application,
 * a readable program, is not concerned.
 */
export class AgentLoader {
  /** the copy (its inode), and what the loader it copies was when copied (an upgraded libc comes with its own) */
  private made?: { file: string; ino: number; source: string; stamp: string };

  private constructor(
    private readonly root: string,
    private readonly interp: string,
  ) {}

  /**
   * undefined, and agents started as before, when the adapter is not root (its children are its
   * own user's anyway), when Node.js names no loader (a static build), or when the copy could be
   * replaced by someone else: the zone's root must be root's and writable by no one else, each
   * folder above it root's and writable by no one else unless sticky (as /tmp is).
   */
  static for(root: string, runAs: RunAs | undefined, node = process.execPath): AgentLoader | undefined {
    if (!runAs || process.getuid?.() !== 0) return undefined;
    const interp = interpreterOf(node);
    if (!interp || !onlyRootWrites(root)) return undefined;
    return new AgentLoader(root, interp);
  }

  /**
   * The copy's path, made again first if the loader it copies changed since (a glibc upgrade) or
   * the copy is not the one made (removed, or replaced by another adapter of the zone).
   * Throws LoaderError: a host cannot start without it (falling back would start it dumpable).
   */
  path(): string {
    const file = join(this.root, LOADER_FILE);
    try {
      const source = realpathSync(this.interp);
      const st = statSync(source);
      const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
      const m = this.made;
      if (m?.source === source && m.stamp === stamp && statSync(file, { throwIfNoEntry: false })?.ino === m.ino) return file;
      const tmp = `${file}.${process.pid}.tmp`;
      rmSync(tmp, { force: true });
      // a new file (a name taken meanwhile fails), made execute-only before it gets its name
      copyFileSync(source, tmp, constants.COPYFILE_EXCL);
      chmodSync(tmp, 0o511);
      renameSync(tmp, file);
      this.made = { file, ino: statSync(file).ino, source, stamp };
      return file;
    } catch (err) {
      throw new LoaderError(`cannot copy the loader ${this.interp} to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

/** The zone's loader copy could not be made: no agent of the zone can start. */
export class LoaderError extends Error {
  override name = 'LoaderError';
}

/** The program and arguments that start an agent with `args` (its Node.js flags, entry and own arguments). */
export function agentCommand(loader: string | undefined, args: string[]): [string, string[]] {
  return loader ? [loader, [process.execPath, ...args]] : [process.execPath, args];
}

/** root's, no symbolic link, and nobody else may write to it; the folders above may be sticky */
function onlyRootWrites(root: string): boolean {
  try {
    const st = lstatSync(root);
    if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    for (let dir = dirname(root), last = root; dir !== last; last = dir, dir = dirname(dir)) {
      const up = lstatSync(dir);
      if (!up.isDirectory() || up.uid !== 0) return false;
      // in a sticky folder nobody else can move or replace root's entries
      if ((up.mode & 0o022) !== 0 && (up.mode & 0o1000) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
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
