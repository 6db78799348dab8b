/**
 * The little of ustar the docker driver needs: small files and folders with an owner and a mode,
 * to put into a container through the archive endpoint, and the files of a tar it gets back.
 */
export interface TarEntry {
  /** relative, `/`-separated; a folder's name may end with `/` */
  name: string;
  type: 'file' | 'dir';
  mode: number;
  uid?: number;
  gid?: number;
  body?: Buffer | string;
  /** seconds since the epoch; default now */
  mtime?: number;
}

const BLOCK = 512;

export function tar(entries: TarEntry[]): Buffer {
  const out: Buffer[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const e of entries) {
    const body = e.type === 'file' ? Buffer.from(e.body ?? '') : Buffer.alloc(0);
    const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
    const h = Buffer.alloc(BLOCK);
    h.write(name, 0, 100, 'utf8');
    octal(h, 100, 8, e.mode & 0o7777);
    octal(h, 108, 8, e.uid ?? 0);
    octal(h, 116, 8, e.gid ?? 0);
    octal(h, 124, 12, body.length);
    octal(h, 136, 12, e.mtime ?? now);
    h.fill(' ', 148, 156); // checksum counted as spaces
    h.write(e.type === 'dir' ? '5' : '0', 156, 1, 'ascii');
    h.write('ustar\u000000', 257, 8, 'binary');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'binary');
    out.push(h, body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(out);
}

/** The regular files of a tar, by name (folders and anything else skipped). */
export function untar(buf: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let i = 0;
  while (i + BLOCK <= buf.length) {
    const h = buf.subarray(i, i + BLOCK);
    if (h.every((b) => b === 0)) break;
    const name = cstr(h, 0, 100);
    const prefix = cstr(h, 345, 155);
    const size = Number.parseInt(cstr(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    if (type === '0' || type === '\u0000') files.set(prefix ? `${prefix}/${name}` : name, Buffer.from(buf.subarray(i + BLOCK, i + BLOCK + size)));
    i += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

function octal(h: Buffer, at: number, len: number, n: number): void {
  h.write(`${n.toString(8).padStart(len - 1, '0')}\u0000`, at, len, 'ascii');
}

function cstr(h: Buffer, at: number, len: number): string {
  const s = h.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
}
