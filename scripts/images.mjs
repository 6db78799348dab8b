#!/usr/bin/env node
// Builds, on the local Docker host and without any registry, the images the docker VIM driver
// uses (docs/adr/0015-agent-in-containers.md):
//
//   vnf-lcm/node:<node version>        the host's own Node.js binary, the libraries `ldd` lists and
//                                      the dynamic loader, at their usual paths (docker import)
//   vnf-lcm/agent-root:<hash>, :latest  /opt/vnf-agent: that Node.js, its libraries and loader, and
//                                      the bundled agent; never run as such: the driver copies it
//                                      into a volume that every host container mounts read-only
//   vnf-lcm/examples:<hash>, :latest    examples/apps on the base image (docker/Dockerfile.app)
//   vnf-lcm/services:<hash>, :latest    the built services (orchestrator, vnfm, vim-adapter), vnfctl
//                                      and the keeper, with the production node_modules only, on the
//                                      base image (docker/Dockerfile.services); the command says
//                                      which one runs (docker-compose.yml)
//   vnf-lcm/nats:<hash>, :latest        the host's nats-server (Debian's) and the libraries it links,
//                                      FROM scratch (docker/Dockerfile.nats)
//
// Idempotent: every image carries the label vnf-lcm.content, a hash of what went into it; an
// image already there with the same hash is kept. `--force` builds everything again.
// `--base IMAGE` puts the examples and the services on another Node.js 20 image (node:20-slim
// where a registry is at hand) instead of the local vnf-lcm/node.
// Needs `npm run build` first. Usage: node scripts/images.mjs [--force] [--base IMAGE]
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FORCE = process.argv.includes('--force');
const BASE_ARG = (() => {
  const i = process.argv.findIndex((a) => a === '--base' || a.startsWith('--base='));
  if (i < 0) return undefined;
  const v = process.argv[i].includes('=') ? process.argv[i].slice('--base='.length) : process.argv[i + 1];
  if (!v || v.startsWith('-')) {
    process.stderr.write('images: --base needs an image, e.g. --base node:20-slim\n');
    process.exit(2);
  }
  return v;
})();
const LABEL = 'vnf-lcm.content';
const NODE_VERSION = process.versions.node;
const IMAGES = {
  base: `vnf-lcm/node:${NODE_VERSION}`,
  agentRoot: 'vnf-lcm/agent-root',
  examples: 'vnf-lcm/examples',
  services: 'vnf-lcm/services',
  nats: 'vnf-lcm/nats',
};
const AGENT_DIR = '/opt/vnf-agent';
// the agent's entry, its bundle and the bundle's code cache (ADR 30): made by npm run build
const AGENT_DIST = join(REPO, 'apps/vnf-agent/dist');
const AGENT_FILES = ['agent.cjs', 'agent.bundle.cjs', 'agent.bundle.cache'];

function fail(message) {
  process.stderr.write(`images: ${message}\n`);
  process.exit(1);
}

function docker(args, o = {}) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...o }).trim();
}

/** the label vnf-lcm.content of an image, or undefined when there is no such image */
function contentOf(image) {
  try {
    return docker(['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL}"}}`, image]) || undefined;
  } catch {
    return undefined;
  }
}

function idOf(image) {
  try {
    return docker(['image', 'inspect', '--format', '{{.Id}}', image]);
  } catch {
    return undefined;
  }
}

/** The id of a base image; one from a registry (--base node:20-slim) is pulled first. */
function baseId(image) {
  const id = idOf(image);
  if (id) return id;
  try {
    docker(['pull', '-q', image], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    fail(`base image ${image} is not here and cannot be pulled: ${(err.stderr || err.message).toString().trim()}`);
  }
  return idOf(image);
}

/** An image a rebuild left without a tag goes (with its volume), unless a container still uses it. */
function dropIfDangling(id, volumeOf) {
  if (!id) return;
  try {
    if (docker(['image', 'inspect', '--format', '{{len .RepoTags}}', id]) !== '0') return;
    dropVolume(volumeOf?.(id));
    docker(['rmi', id]);
  } catch {
    /* in use, or gone already */
  }
}

/** throws when a container still mounts it */
function dropVolume(volume) {
  if (volume && docker(['volume', 'ls', '-q', '--filter', `name=^${volume}$`])) docker(['volume', 'rm', volume]);
}

/** the volume the docker driver fills from an agent root image, named after the image's id */
const agentVolume = (id) => `vnf-agent-${id.replace(/^sha256:/, '').slice(0, 12)}`;

/**
 * Older builds of an image go once nothing uses them: their hash tags (<repo>:<12 hex>, never
 * another tag), and for the agent root the volume the driver made from each (a volume some
 * container still mounts stays, and its image).
 */
function pruneOld(repo, keep, volumeOf) {
  let lines = [];
  try {
    lines = docker(['image', 'ls', repo, '--format', '{{.Tag}} {{.ID}}']).split('\n').filter(Boolean);
  } catch {
    return;
  }
  for (const line of lines) {
    const [tag, id] = line.split(' ');
    // only our own hash tags: a tag someone else gave (a test's `vnf-lcm/examples:<scope>`) is theirs
    if (keep.includes(`${repo}:${tag}`) || !/^[0-9a-f]{12}$/.test(tag)) continue;
    try {
      if (volumeOf) dropVolume(volumeOf(docker(['image', 'inspect', '--format', '{{.Id}}', `${repo}:${tag}`])));
      docker(['rmi', `${repo}:${tag}`]);
      console.log(`${repo}:${tag}: removed (an older build)`);
    } catch {
      /* still in use: kept */
    }
  }
}

/** What the dynamic loader needs to run a binary, as `ldd` lists them: its libraries and the loader. */
function linked(binary) {
  let out;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  } catch (err) {
    fail(`ldd ${binary} failed (a statically linked or non-Linux binary?): ${err.message}`);
  }
  const libs = [];
  let loader;
  for (const line of out.split('\n').map((l) => l.trim())) {
    let m;
    if ((m = /^(\S+) => not found/.exec(line))) fail(`ldd: ${m[1]} not found for ${binary}`);
    else if ((m = /^(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(line))) libs.push({ name: m[1], path: m[2] });
    else if ((m = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line))) loader = m[1];
  }
  if (!loader) fail(`ldd names no dynamic loader for ${binary}`);
  return { libs, loader };
}

/** The Node.js binary and what the dynamic loader needs to run it. */
function nodeRuntime() {
  const node = realpathSync(process.execPath);
  return { node, ...linked(node) };
}

/**
 * An image's file system: `files` are copied from `from` (the real file behind any link) or
 * written from `text`; `dirs` are made with their mode. Everything is owned by root in the tar.
 */
function hashTree(tree, extra = '') {
  const h = createHash('sha256');
  h.update(`${extra}\n`);
  for (const d of [...tree.dirs].sort((a, b) => a.path.localeCompare(b.path))) h.update(`d ${d.path} ${d.mode.toString(8)}\n`);
  for (const f of [...tree.files].sort((a, b) => a.path.localeCompare(b.path))) {
    const body = f.from ? readFileSync(f.from) : Buffer.from(f.text);
    h.update(`f ${f.path} ${f.mode.toString(8)} ${createHash('sha256').update(body).digest('hex')}\n`);
  }
  return h.digest('hex');
}

function stage(tree) {
  const dir = mkdtempSync(join(tmpdir(), 'vnf-image-'));
  chmodSync(dir, 0o755);
  for (const d of tree.dirs) {
    mkdirSync(join(dir, d.path), { recursive: true });
    chmodSync(join(dir, d.path), d.mode);
  }
  for (const f of tree.files) {
    const to = join(dir, f.path);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    if (f.from) copyFileSync(f.from, to);
    else writeFileSync(to, f.text);
    chmodSync(to, f.mode);
  }
  return dir;
}

/** `tar -C dir -c . | docker import --change ... - tag` */
async function importTree(dir, tags, changes) {
  const [first, ...more] = tags;
  const tar = spawn('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const imp = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', first], { stdio: [tar.stdout, 'pipe', 'pipe'] });
  let err = '';
  tar.stderr.on('data', (d) => (err += d));
  imp.stderr.on('data', (d) => (err += d));
  // tar's stdout belongs to docker import: its 'close' never comes here, its exit does
  const [tarCode, impCode] = await Promise.all([new Promise((r) => tar.on('exit', r)), new Promise((r) => imp.on('close', r))]);
  if (tarCode !== 0 || impCode !== 0) fail(`importing ${first} failed: ${err.trim()}`);
  for (const t of more) docker(['tag', first, t]);
}

async function ensureImported(name, tags, tree, changes, volumeOf) {
  const hash = hashTree(tree, changes.join('\n'));
  if (!FORCE && tags.every((t) => contentOf(t) === hash)) {
    console.log(`${name}: up to date (${hash.slice(0, 12)})`);
    return hash;
  }
  const previous = tags.map(idOf);
  const dir = stage(tree);
  try {
    await importTree(dir, tags, [...changes, `LABEL ${LABEL}=${hash}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const id of previous) dropIfDangling(id, volumeOf);
  console.log(`${name}: built (${hash.slice(0, 12)}) as ${tags.join(', ')}`);
  return hash;
}

/**
 * One run at a time on this Docker host: test files that run side by side each call this script
 * first, and two builds of the same image would tag and prune under each other. A lock folder with
 * the holder's pid; a dead holder's lock is taken over.
 */
async function takeLock() {
  const dir = join(tmpdir(), 'vnf-lcm-images.lock');
  for (const until = Date.now() + 10 * 60_000; ; ) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      /* being written, or gone: look again */
    }
    let alive = true;
    if (holder > 0) {
      try {
        process.kill(holder, 0);
      } catch (err) {
        alive = err.code === 'EPERM';
      }
    } else if (statSync(dir, { throwIfNoEntry: false })?.mtimeMs < Date.now() - 5_000) alive = false; // a lock without a pid
    if (!alive) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > until) fail(`another images run (pid ${holder}) holds ${dir}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const rt = nodeRuntime();
const strip = (p) => p.replace(/^\/+/, '');

try {
  docker(['version', '--format', '{{.Server.Version}}']);
} catch (err) {
  fail(`docker is not reachable (is dockerd running?): ${(err.stderr || err.message).toString().trim()}`);
}
await takeLock();

// 1. the base image: node on PATH, libraries where the loader looks by default
const base = {
  dirs: [
    { path: 'tmp', mode: 0o1777 },
    { path: 'etc', mode: 0o755 },
    { path: 'usr/local/bin', mode: 0o755 },
  ],
  files: [
    { path: 'usr/bin/node', from: rt.node, mode: 0o755 },
    { path: strip(rt.loader), from: realpathSync(rt.loader), mode: 0o755 },
    ...rt.libs.map((l) => ({ path: strip(l.path), from: realpathSync(l.path), mode: 0o644 })),
    { path: 'etc/passwd', text: 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n', mode: 0o644 },
    { path: 'etc/group', text: 'root:x:0:\nnogroup:x:65534:\n', mode: 0o644 },
    { path: 'etc/nsswitch.conf', text: 'passwd: files\ngroup: files\nhosts: files dns\n', mode: 0o644 },
  ],
};
await ensureImported('base', [IMAGES.base], base, ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]']);

// 2. the agent root: the same runtime under /opt/vnf-agent, started through its own loader so
// that the application image's libc does not matter
for (const f of AGENT_FILES) if (!existsSync(join(AGENT_DIST, f))) fail(`${join(AGENT_DIST, f)} is missing: run npm run build first`);
const loaderIn = `${AGENT_DIR}/${basename(rt.loader)}`;
// the agent's own Node.js options (Agent.RuntimeEnv.nodeFlags, ADR 30) before its entry
const { RuntimeEnv } = await import(join(REPO, 'libs/contracts/dist/agent/runtime-env.js'));
const agentCommand = [loaderIn, '--library-path', `${AGENT_DIR}/lib`, `${AGENT_DIR}/node`, ...RuntimeEnv.nodeFlags, `${AGENT_DIR}/agent.cjs`];
const agentTree = {
  dirs: [{ path: strip(`${AGENT_DIR}/lib`), mode: 0o755 }],
  files: [
    { path: strip(`${AGENT_DIR}/node`), from: rt.node, mode: 0o755 },
    // execute-only to the container's user (0511, root's in the image): a process whose program it
    // cannot read is made non-dumpable by the kernel, so that the application, the same user,
    // can neither ptrace its agent nor read its memory (the node's seed) or environment through /proc
    { path: strip(loaderIn), from: realpathSync(rt.loader), mode: 0o511 },
    ...rt.libs.map((l) => ({ path: strip(`${AGENT_DIR}/lib/${l.name}`), from: realpathSync(l.path), mode: 0o644 })),
    ...AGENT_FILES.map((f) => ({ path: strip(`${AGENT_DIR}/${f}`), from: join(AGENT_DIST, f), mode: 0o644 })),
  ],
};
const agentChanges = [
  // what the driver runs (with --node=<id>) and where it mounts the root: read from these labels
  `LABEL vnf-lcm.agent.command=${JSON.stringify(JSON.stringify(agentCommand))}`,
  `LABEL vnf-lcm.agent.mount=${AGENT_DIR}`,
  `CMD ${JSON.stringify([...agentCommand.slice(0, 4), '--version'])}`,
];
const agentHash = hashTree(agentTree, agentChanges.join('\n'));
const agentTags = [`${IMAGES.agentRoot}:${agentHash.slice(0, 12)}`, `${IMAGES.agentRoot}:latest`];
await ensureImported('agent root', agentTags, agentTree, agentChanges, agentVolume);
pruneOld(IMAGES.agentRoot, agentTags, agentVolume);

// 3. the example applications on the base image
const dockerfile = join(REPO, 'docker/Dockerfile.app');
const appsDir = join(REPO, 'examples/apps');
const appBase = BASE_ARG ?? IMAGES.base;
const h = createHash('sha256').update(readFileSync(dockerfile)).update(baseId(appBase));
for (const f of readdirSync(appsDir).sort()) if (statSync(join(appsDir, f)).isFile()) h.update(`${f}\0`).update(readFileSync(join(appsDir, f)));
const exHash = h.digest('hex');
const exTags = [`${IMAGES.examples}:${exHash.slice(0, 12)}`, `${IMAGES.examples}:latest`];
if (!FORCE && exTags.every((t) => contentOf(t) === exHash)) console.log(`examples: up to date (${exHash.slice(0, 12)})`);
else {
  const previous = exTags.map(idOf);
  const args = ['build', '-q', '-f', dockerfile, '--build-arg', `BASE=${appBase}`, '--label', `${LABEL}=${exHash}`];
  args.push(...exTags.flatMap((t) => ['-t', t]), join(REPO, 'examples'));
  try {
    // the classic builder: it takes FROM an image that exists only here, and asks no registry
    docker(args, { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  } catch (err) {
    fail(`docker build of ${IMAGES.examples} failed: ${(err.stderr || err.message).toString().trim()}`);
  }
  for (const id of previous) dropIfDangling(id);
  console.log(`examples: built (${exHash.slice(0, 12)}) as ${exTags.join(', ')}`);
}
pruneOld(IMAGES.examples, exTags);

/**
 * `docker build` of a staged context (the tree) with a Dockerfile of docker/, tagged <repo>:<hash>
 * and :latest; kept when both tags carry the hash already.
 */
function ensureBuilt(name, repo, tree, dockerfile, buildArgs, baseImageId = '') {
  const hash = hashTree(tree, [readFileSync(dockerfile, 'utf8'), ...buildArgs, baseImageId].join('\n'));
  const tags = [`${repo}:${hash.slice(0, 12)}`, `${repo}:latest`];
  if (!FORCE && tags.every((t) => contentOf(t) === hash)) {
    console.log(`${name}: up to date (${hash.slice(0, 12)})`);
    pruneOld(repo, tags);
    return tags;
  }
  const previous = tags.map(idOf);
  const dir = stage(tree);
  try {
    const args = ['build', '-q', '-f', dockerfile, ...buildArgs.flatMap((a) => ['--build-arg', a]), '--label', `${LABEL}=${hash}`];
    docker([...args, ...tags.flatMap((t) => ['-t', t]), dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  } catch (err) {
    fail(`docker build of ${repo} failed: ${(err.stderr || err.message).toString().trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const id of previous) dropIfDangling(id);
  console.log(`${name}: built (${hash.slice(0, 12)}) as ${tags.join(', ')}`);
  pruneOld(repo, tags);
  return tags;
}

/** Every file under `dir` (recursively, links followed to files), as tree entries under `to`. */
function filesUnder(dir, to, keep = () => true, skipDirs = new Set()) {
  const out = [];
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const from = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      let st;
      try {
        st = statSync(from);
      } catch {
        continue; // a dangling link
      }
      if (st.isDirectory()) {
        if (!skipDirs.has(e.name) && !e.isSymbolicLink()) walk(from, r);
      } else if (st.isFile() && keep(r)) out.push({ path: `${to}/${r}`, from, mode: st.mode & 0o111 ? 0o755 : 0o644 });
    }
  };
  walk(dir, '');
  return out;
}

// 4. the services: what `npm ci --omit=dev` would install, taken from node_modules as the lock
// file lists it (no registry, no install step), the workspace libraries and the built apps
const SERVICE_APPS = ['orchestrator', 'vnfm', 'vim-adapter', 'vnfctl', 'launcher', 'console'];
const LIBS = ['contracts', 'bus', 'auth'];
const pkgLock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
const js = (r) => /\.(m?js|cjs|json)$/.test(r) || r.endsWith('.js.map');
const serviceFiles = [];
for (const app of SERVICE_APPS) {
  const dist = join(REPO, 'apps', app, 'dist');
  if (!existsSync(join(dist, 'main.js'))) fail(`${dist}/main.js is missing: run npm run build first`);
  // the console's page and style sheet beside its scripts (dist/public)
  serviceFiles.push(...filesUnder(dist, `app/apps/${app}/dist`, (r) => (js(r) || /\.(html|css)$/.test(r)) && !r.includes('agent.bundle')));
}
if (!existsSync(join(REPO, 'apps/launcher/dist/keeper.js'))) fail('apps/launcher/dist/keeper.js is missing: run npm run build first');
for (const lib of LIBS) {
  serviceFiles.push({ path: `app/node_modules/@vnf-lcm/${lib}/package.json`, from: join(REPO, 'libs', lib, 'package.json'), mode: 0o644 });
  serviceFiles.push(...filesUnder(join(REPO, 'libs', lib, 'dist'), `app/node_modules/@vnf-lcm/${lib}/dist`, js));
}
let packages = 0;
for (const [path, meta] of Object.entries(pkgLock.packages ?? {})) {
  // dev and devOptional (optional peers only dev tools bring): what --omit=dev leaves out
  if (!path.startsWith('node_modules/') || meta.dev || meta.devOptional || meta.link) continue;
  const dir = join(REPO, path);
  if (!existsSync(dir)) {
    if (meta.optional) continue; // an optional dependency for another platform
    fail(`${path} is in package-lock.json but not installed: run npm ci`);
  }
  packages++;
  // a package's own node_modules holds packages the lock file lists on their own
  serviceFiles.push(...filesUnder(dir, `app/${path}`, (r) => !r.startsWith('.bin/'), new Set(['node_modules'])));
}
const servicesTree = {
  dirs: [
    { path: 'empty', mode: 0o755 },
    // root's parents of the mount points below (an image without /var gets them as root's, not nobody's)
    { path: 'skel/var/lib', mode: 0o755 },
    { path: 'skel/etc', mode: 0o755 },
  ],
  files: [
    // its version is what the services report to `nats micro` (libs/bus projectVersion)
    {
      path: 'app/package.json',
      text: `${JSON.stringify({ name: 'vnf-lcm-services', version: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version, private: true, type: 'module' })}\n`,
      mode: 0o644,
    },
    ...serviceFiles,
  ],
};
const servicesBase = BASE_ARG ?? IMAGES.base;
ensureBuilt(
  `services (${packages} packages)`,
  IMAGES.services,
  servicesTree,
  join(REPO, 'docker/Dockerfile.services'),
  [`BASE=${servicesBase}`],
  baseId(servicesBase),
);

// 5. nats-server: Debian's binary and what it links (libc and the loader), on nothing else
const natsBin = (() => {
  try {
    return realpathSync(execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim());
  } catch {
    return fail('nats-server is not installed: apt-get install nats-server');
  }
})();
const natsRt = linked(natsBin);
const natsTree = {
  dirs: [
    { path: 'empty', mode: 0o755 },
    { path: 'rootfs/tmp', mode: 0o1777 },
  ],
  files: [
    { path: 'rootfs/usr/sbin/nats-server', from: natsBin, mode: 0o755 },
    { path: `rootfs/${strip(natsRt.loader)}`, from: realpathSync(natsRt.loader), mode: 0o755 },
    ...natsRt.libs.map((l) => ({ path: `rootfs/${strip(l.path)}`, from: realpathSync(l.path), mode: 0o644 })),
    { path: 'rootfs/etc/passwd', text: 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n', mode: 0o644 },
    { path: 'rootfs/etc/group', text: 'root:x:0:\nnogroup:x:65534:\n', mode: 0o644 },
  ],
};
ensureBuilt('nats', IMAGES.nats, natsTree, join(REPO, 'docker/Dockerfile.nats'), ['BASE=scratch']);
