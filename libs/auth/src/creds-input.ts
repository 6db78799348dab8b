import { readSync } from 'node:fs';

/** the line that closes an armored block of a credentials file (its user JWT's, then its seed's), whole */
const END_LINE = /^\s*-{3,}[^\n]*END[^\n]*-{3,}[ \t\r]*\n/gm;
/** a credentials file is about 1 KB: input beyond this is not one, and is not waited for */
const MAX_BYTES = 64 * 1024;
const RETRY_MS = 5;

/**
 * A credentials file from a pipe (fd 0: the VIM's, or a container's input through docker's
 * attach), read up to the end of its seed block, or up to the input's end if it comes first.
 *
 * Not up to the input's end alone: a container's input stays open after the VIM has written
 * (ADR 31). With `StdinOnce`, docker closed it when the first attached client went, and an
 * attach left by an adapter killed before its `docker start` was that client: the agent read
 * nothing at all.
 */
export function readCredsInput(fd = 0): Uint8Array {
  const chunks: Buffer[] = [];
  let size = 0;
  const buf = Buffer.alloc(4096);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      // an input in non-blocking mode with nothing in it yet
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
      continue;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    size += n;
    if (size >= MAX_BYTES || complete(Buffer.concat(chunks).toString('latin1'))) break;
  }
  return Buffer.concat(chunks);
}

/** both armored blocks closed: nothing more is needed */
const complete = (text: string) => (text.match(END_LINE)?.length ?? 0) >= 2;
