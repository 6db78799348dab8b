// Bundles the built vnf-agent into one file, minified: an agent starts with every virtual host,
// and reading one small file is the cheapest start Node.js has (docs/adr/0008, 0018); its entry,
// dist/agent.cjs, compiles it from a code cache made here (docs/adr/0030). The
// request validators are compiled to code here, once (ajv's standalone mode), and take the place
// of validators.js, which would compile them at every start.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'apps/vnf-agent/dist');
const { RequestSchema } = await import(join(ROOT, 'libs/contracts/dist/agent/schema.js'));

// the verbs as export names (`app-create` -> `app_create`), then one object keyed by verb
const exportName = (verb) => verb.replace(/-/g, '_');
const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true } });
for (const [verb, schema] of Object.entries(RequestSchema)) ajv.addSchema(schema, verb);
const code = standaloneCode.default(ajv, Object.fromEntries(Object.keys(RequestSchema).map((v) => [exportName(v), v])));
const table = Object.keys(RequestSchema).map((v) => `  ${JSON.stringify(v)}: ${exportName(v)},`);
const generated = join(DIST, 'validators.standalone.mjs');
mkdirSync(DIST, { recursive: true });
writeFileSync(generated, `${code}\nexport const validators = {\n${table.join('\n')}\n};\n`);

/** validators.js -> the standalone validators, for the bundle only */
const standaloneValidators = {
  name: 'standalone-validators',
  setup(b) {
    b.onResolve({ filter: /^\.\/validators\.js$/ }, (args) => (args.importer.startsWith(DIST) ? { path: generated } : undefined));
  },
};

await build({
  // agent.js exports main(); boot.cjs (dist/agent.cjs) loads the bundle and runs it
  entryPoints: [join(DIST, 'agent.js')],
  // CommonJS, not ESM: the same code in about 1 MB less resident memory per agent and without the
  // module loader's start (docs/adr/0028-agent-bundle-commonjs.md)
  outfile: join(DIST, 'agent.bundle.cjs'),
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [standaloneValidators],
});

// the entry the VIM runs, then the V8 code cache it starts with (docs/adr/0030-agent-code-cache.md),
// made by the Node.js that builds, which is the one the VIM and the agent root image run. In an
// environment of PATH alone: V8 rejects a cache made under other V8 flags (NODE_OPTIONS), and the
// bundle's top level, run here, reads variables (VNF_APP_ROOTS) the builder's shell may have set
copyFileSync(join(ROOT, 'apps/vnf-agent/src/boot.cjs'), join(DIST, 'agent.cjs'));
execFileSync(process.execPath, [join(DIST, 'agent.cjs'), '--make-code-cache'], { env: { PATH: process.env.PATH ?? '' }, stdio: 'inherit' });
