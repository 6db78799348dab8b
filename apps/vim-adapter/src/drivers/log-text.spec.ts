import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Query } from '@vnf-lcm/contracts';
import { fileLogs, linesOf, textLogs } from './log-text.js';

describe('linesOf', () => {
  test('the last N complete lines; a line without its newline yet is held back', () => {
    const r = linesOf(Buffer.from('a\nb\nc\nhalf'), 2, true);
    expect(r).toEqual({ lines: ['b', 'c'], used: 6, truncated: false });
    expect(linesOf(Buffer.from(''), 5, true).lines).toEqual([]);
    expect(linesOf(Buffer.from('only\n'), 5, true).lines).toEqual(['only']);
    expect(linesOf(Buffer.from('x\n\ny\n'), 5, true).lines).toEqual(['x', '', 'y']);
  });

  test('cut to the last LOGS_MAX_BYTES at a line start, and said', () => {
    const line = 'x'.repeat(999);
    const text = Buffer.from(`${line}\n`.repeat(1000));
    const r = linesOf(text, 1000, true);
    expect(r.truncated).toBe(true);
    expect(r.lines.every((l) => l === line)).toBe(true);
    expect(r.lines.length).toBe(Math.floor(Query.LOGS_MAX_BYTES / 1000));
    expect(linesOf(text, 10, true)).toMatchObject({ truncated: false });
  });
});

describe('textLogs / fileLogs: the cursor is a byte offset', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'logs-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a follower gets only what came after its cursor; a shrunk file starts again at 0', () => {
    const f = join(dir, 'a.log');
    expect(fileLogs(f, 10)).toEqual({ lines: [], cursor: '0' });
    writeFileSync(f, 'one\ntwo\nthr');
    const first = fileLogs(f, 10);
    expect(first).toEqual({ lines: ['one', 'two'], cursor: '8' });
    appendFileSync(f, 'ee\nfour\n');
    const next = fileLogs(f, 10, first.cursor);
    expect(next).toEqual({ lines: ['three', 'four'], cursor: '19' });
    expect(fileLogs(f, 10, next.cursor)).toEqual({ lines: [], cursor: '19' });
    writeFileSync(f, 'new\n');
    expect(fileLogs(f, 10, next.cursor)).toEqual({ lines: ['new'], cursor: '4' });
    expect(textLogs(Buffer.from('one\ntwo\nthr'), 10, '4')).toEqual({ lines: ['two'], cursor: '8' });
  });

  test('the tail of a big file is read from its end', () => {
    const f = join(dir, 'big.log');
    writeFileSync(f, `${Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n')}\n`);
    const r = fileLogs(f, 3);
    expect(r.lines).toEqual(['line 199997', 'line 199998', 'line 199999']);
    expect(r.truncated).toBeUndefined();
  });
});
