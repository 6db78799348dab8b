import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Query } from '@vnf-lcm/contracts';
import type { LogsReply } from './driver.js';

/**
 * Text as log lines: the last `tail` complete lines, no more than Query.LOGS_MAX_BYTES of them
 * (the oldest are dropped and the reply says so). A line still being written (no newline yet) is
 * left for the next read when `holdPartial`, so that a follower never sees half a line twice.
 */
export function linesOf(text: Buffer, tail: number, holdPartial: boolean): { lines: string[]; used: number; truncated: boolean } {
  const used = holdPartial ? text.lastIndexOf(0x0a) + 1 : text.length;
  const body = text.subarray(0, used);
  // the start of the last `tail` lines
  let start = body.length;
  const end = body.length && body[body.length - 1] === 0x0a ? body.length - 1 : body.length;
  for (let n = 0, i = end; n < tail; n++) {
    const nl = i > 0 ? body.lastIndexOf(0x0a, i - 1) : -1;
    start = nl + 1;
    if (nl < 0) break;
    i = nl;
  }
  if (body.length === 0) start = 0;
  let truncated = false;
  if (end - start > Query.LOGS_MAX_BYTES) {
    start = end - Query.LOGS_MAX_BYTES;
    const nl = body.indexOf(0x0a, start);
    if (nl >= 0 && nl < end) start = nl + 1;
    truncated = true;
  }
  const chunk = body.subarray(start, end);
  const lines = chunk.length || end > start ? chunk.toString('utf8').split('\n') : [];
  return { lines, used, truncated };
}

/** A whole text (a file read at once) as log lines; the cursor is a byte offset into it. */
export function textLogs(text: Buffer, tail: number, cursor?: string): LogsReply {
  let from = cursor !== undefined && /^\d+$/.test(cursor) ? Number(cursor) : 0;
  if (from > text.length) from = 0;
  const r = linesOf(text.subarray(from), tail, true);
  return { lines: r.lines, cursor: String(from + r.used), ...(r.truncated ? { truncated: true } : {}) };
}

/** how many bytes back from the end are read for the last lines of a file without a cursor */
const TAIL_WINDOW = 4 * Query.LOGS_MAX_BYTES;

/**
 * A file read as log lines; the cursor is a byte offset. Without a cursor the last `tail` lines;
 * with one, what follows it (a file shorter than the cursor was truncated or replaced: from 0).
 * A missing file is no lines, cursor 0.
 */
export function fileLogs(path: string, tail: number, cursor?: string): LogsReply {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], cursor: '0' };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    let from = cursor !== undefined && /^\d+$/.test(cursor) ? Number(cursor) : -1;
    if (from > size) from = 0;
    const following = from >= 0;
    if (!following) from = Math.max(0, size - TAIL_WINDOW);
    // a follower reads at most the window too: what is older is cut anyway
    let start = from;
    if (following && size - start > TAIL_WINDOW) start = size - TAIL_WINDOW;
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    let text = buf.subarray(0, got);
    const skipped = following && start > from;
    // a read that began mid-file starts at the next whole line
    if (start > from || (!following && start > 0)) {
      const nl = text.indexOf(0x0a);
      text = nl >= 0 ? text.subarray(nl + 1) : text;
      start += got - text.length;
    }
    const r = linesOf(text, tail, true);
    // more than `tail` new lines for a follower: the newest, as `tail -f` scrolls by for a slow reader
    return { lines: r.lines, cursor: String(start + r.used), ...(r.truncated || skipped ? { truncated: true } : {}) };
  } finally {
    closeSync(fd);
  }
}
