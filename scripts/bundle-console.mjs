// Bundles the web console's page script (apps/console/src/page) for browsers, with the NATS
// client it uses over WebSocket, and puts it beside the page's static files in
// apps/console/dist/public, which the console's server serves (docs/adr/0019-web-console.md).
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const out = 'apps/console/dist/public';
mkdirSync(out, { recursive: true });
cpSync('apps/console/public', out, { recursive: true });
await build({
  entryPoints: ['apps/console/src/page/main.ts'],
  outfile: `${out}/console.js`,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
