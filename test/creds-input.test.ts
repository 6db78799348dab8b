import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * readCredsInput as a cold agent runs it: in its own process, on a real pipe as its standard
 * input. A docker container's input stays open once the VIM has written (ADR 31): the reader
 * must stop at the end of the seed block, not wait for the input's end.
 */
const READER = join(fileURLToPath(new URL('..', import.meta.url)), 'libs/auth/dist/creds-input.js');
const CREDS = [
  '-----BEGIN NATS USER JWT-----',
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.c2ln',
  '------END NATS USER JWT------',
  '',
  '************************* IMPORTANT *************************',
  'NKEY Seed printed below can be used to sign and prove identity.',
  '',
  '-----BEGIN USER NKEY SEED-----',
  'SUAEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMP',
  '------END USER NKEY SEED------',
  '',
  '*************************************************************',
  '',
].join('\n');

/** a reader process; what it read (as JSON), once it returned */
function reader() {
  const p = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { readCredsInput } from ${JSON.stringify(READER)}; process.stdout.write(JSON.stringify(new TextDecoder().decode(readCredsInput(0)))); process.exit(0);`,
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  // what is written after the reader stopped meets a closed pipe
  p.stdin.on('error', () => undefined);
  const result = once(p, 'exit').then(([code]) => ({ code, read: out ? (JSON.parse(out) as string) : undefined }));
  return { p, result };
}

/** what the reader read within 5 s; undefined if it was still waiting */
async function within(r: ReturnType<typeof reader>) {
  const timer = setTimeout(() => r.p.kill('SIGKILL'), 5_000);
  try {
    const { code, read } = await r.result;
    return code === 0 ? read : undefined;
  } finally {
    clearTimeout(timer);
  }
}

test('the credentials are read up to the end of the seed block, with the input still open', async () => {
  const r = reader();
  // in two writes, the second splitting an end line: a block is complete only with its whole line
  const cut = CREDS.indexOf('END USER NKEY') + 5;
  r.p.stdin.write(CREDS.slice(0, cut));
  await new Promise((res) => setTimeout(res, 200));
  expect(r.p.exitCode).toBeNull();
  r.p.stdin.write(CREDS.slice(cut));
  // never ended: the reader must return on its own
  expect(await within(r)).toBe(CREDS);
  r.p.stdin.destroy();
});

test("an input that ends first gives what it held, for the caller's own error", async () => {
  const r = reader();
  r.p.stdin.end(CREDS.slice(0, 40));
  expect(await within(r)).toBe(CREDS.slice(0, 40));
});

test('an empty input gives nothing', async () => {
  const r = reader();
  r.p.stdin.end();
  expect(await within(r)).toBe('');
});

test('an input that is no credentials file is read up to 64 KB, not waited on to its end', async () => {
  const r = reader();
  r.p.stdin.write('x'.repeat(80 * 1024));
  const read = await within(r);
  r.p.stdin.destroy();
  expect(read).toBeDefined();
  expect(read!.length).toBeGreaterThanOrEqual(64 * 1024);
  expect(read!.length).toBeLessThan(68 * 1024);
});
