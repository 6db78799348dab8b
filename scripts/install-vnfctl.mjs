#!/usr/bin/env node
// Installs vnfctl for operators: one self-contained file (vnfctl and every module it uses,
// bundled), so that it runs on any machine with Node 20 and needs neither this checkout nor its
// node_modules afterwards. The root package is private (a workspace), so `npm install -g` of it
// is no option; this is what the README's "Install vnfctl" says to run after `npm run build`.
//
//   node scripts/install-vnfctl.mjs [--prefix DIR]     (default /usr/local, as npm's global prefix)
//
// writes DIR/lib/vnfctl/vnfctl.mjs, DIR/bin/vnfctl (a symlink to it) and the bash completion in
// DIR/share/bash-completion/completions/vnfctl.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--prefix');
if (args.some((a) => a !== '--prefix' && a !== args[at + 1]) || (at >= 0 && !args[at + 1])) {
  console.error('usage: node scripts/install-vnfctl.mjs [--prefix DIR]');
  process.exit(2);
}
const prefix = resolve(at >= 0 ? args[at + 1] : process.env.PREFIX || '/usr/local');
const entry = join(root, 'apps/vnfctl/dist/main.js');
if (!existsSync(entry)) {
  console.error(`${entry} is missing: run npm run build first`);
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const lib = join(prefix, 'lib/vnfctl');
const file = join(lib, 'vnfctl.mjs');
const bin = join(prefix, 'bin/vnfctl');
mkdirSync(lib, { recursive: true });
mkdirSync(dirname(bin), { recursive: true });
await build({
  entryPoints: [entry],
  outfile: file,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // no package.json beside the bundle: the version is written into it
  define: { __VNFCTL_VERSION__: JSON.stringify(version) },
  // main.js's own `#!/usr/bin/env node` is kept by esbuild; some dependencies still call require()
  banner: { js: "import { createRequire as __vnfCreateRequire } from 'node:module'; const require = __vnfCreateRequire(import.meta.url);" },
});
chmodSync(file, 0o755);
rmSync(bin, { force: true });
symlinkSync(file, bin);

const completions = join(prefix, 'share/bash-completion/completions');
mkdirSync(completions, { recursive: true });
writeFileSync(join(completions, 'vnfctl'), execFileSync(process.execPath, [file, 'completion', 'bash'], { encoding: 'utf8' }));
console.log(`vnfctl ${version} installed: ${bin} -> ${file}`);
