'use strict';
/*
 * The agent's entry: it compiles the bundle (agent.bundle.cjs) with the V8 code cache that
 * `npm run build` made of it (agent.bundle.cache), then starts it. An agent starts with every
 * virtual host, and compiling the bundle's modules was about a tenth of its start
 * (docs/adr/0030-agent-code-cache.md). Without a cache, or with one V8 rejects (another Node.js,
 * other V8 flags), the agent compiles from source as before and says so in its first log line.
 *
 *   node agent.cjs [--node=<id> | --spare ...]     start the agent
 *   node agent.cjs --make-code-cache               (the build) run the bundle's top level, write its cache
 */
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { wrap } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const BUNDLE = join(__dirname, 'agent.bundle.cjs');
const CACHE = join(__dirname, 'agent.bundle.cache');

/** the bundle as Node.js's own CommonJS loader would run it, its exports returned */
function load(cachedData) {
  const script = new Script(wrap(readFileSync(BUNDLE, 'utf8')), { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, BUNDLE, __dirname);
  return { script, exports: module.exports };
}

function cached() {
  try {
    return readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

if (process.argv[2] === '--make-code-cache') {
  // the top level only (every module's set-up, the part each start repeats); main() is not run
  const { script } = load(undefined);
  writeFileSync(`${CACHE}.tmp`, script.createCachedData());
  renameSync(`${CACHE}.tmp`, CACHE);
} else {
  const data = cached();
  const { script, exports } = load(data);
  exports.main({ codeCache: data === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used' });
}
