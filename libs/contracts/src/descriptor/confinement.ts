import { posix } from 'node:path';
import type { AppSpec, VnfDescriptor } from './types.js';
import type { DescriptorIssue } from './issues.js';

/**
 * Where an application may run and what environment it may be given. A descriptor is written by
 * whoever may deploy, but its application runs as the agent's user on the node: without these
 * rules a deploy could run a command in `/etc`, or make every process it starts load a library
 * (`LD_PRELOAD`) or a script (`NODE_OPTIONS=--require`) of its choosing. The orchestrator checks
 * them at the request; the agent checks them again before it spawns anything (defence in depth:
 * the VNFM's messages and the agent's saved state reach the agent without the orchestrator).
 */

/** The environment variable holding the application roots: absolute folders separated by `:`. */
export const APP_ROOTS_ENV = 'VNF_APP_ROOTS' as const;

export interface AppRoots {
  /** absolute, normalised, without a trailing `/` */
  roots: string[];
  /** entries of the variable that confine nothing, and why (for a warning at start-up) */
  ignored: { root: string; reason: string }[];
}

/**
 * The roots from the variable's text. A relative entry would be relative to whichever folder a
 * service happened to start in, and `/` contains every path: both are ignored, not trusted.
 */
export function parseAppRoots(text: string | undefined): AppRoots {
  const out: AppRoots = { roots: [], ignored: [] };
  for (const raw of (text ?? '').split(':')) {
    const root = raw.trim();
    if (!root) continue;
    if (!posix.isAbsolute(root)) out.ignored.push({ root, reason: 'not an absolute path' });
    else if (posix.normalize(root) === '/') out.ignored.push({ root, reason: 'the filesystem root confines nothing' });
    else {
      const clean = posix.normalize(root).replace(/\/+$/, '');
      if (!out.roots.includes(clean)) out.roots.push(clean);
    }
  }
  return out;
}

/** Whether `path` (absolute) is `root` or below it, once `.`, `..` and repeated `/` are resolved. */
export function isInsideRoot(path: string, root: string): boolean {
  const p = posix.normalize(path);
  return p === root || p.startsWith(`${root}/`);
}

/**
 * Why `cwd` may not be an application's working directory, or undefined if it may. Relative: it
 * is resolved in the node's own app folder, so it may not climb out with `..`. Absolute: it must
 * lie in one of `roots` (as parseAppRoots gives them). The check is on the path's text: a
 * symbolic link inside a root is the root owner's to answer for.
 */
export function cwdProblem(cwd: string | undefined, roots: readonly string[]): string | undefined {
  if (cwd === undefined) return undefined;
  if (!posix.isAbsolute(cwd)) {
    if (cwd.split('/').includes('..')) return `relative cwd ${cwd} may not contain '..': it is resolved inside the node's own app folder`;
    return undefined;
  }
  if (roots.length === 0)
    return `absolute cwd ${cwd} is refused: no application root is configured; set ${APP_ROOTS_ENV} (absolute folders separated by ':') or give a cwd relative to the node's app folder`;
  if (roots.some((r) => isInsideRoot(cwd, r))) return undefined;
  return `cwd ${cwd} is outside every application root (${APP_ROOTS_ENV}: ${roots.join(':')})`;
}

/**
 * Variables a descriptor may not set, `*` ending a prefix. Names compare as spelled: on the
 * nodes' systems (Linux) the loader, shells and runtimes read these exact names, and refusing
 * `path` or `env` too would refuse ordinary variables of an application.
 */
export const FORBIDDEN_APP_ENV = [
  // the agent's and the bus's own: the application's identity, its config file, its connection
  'VNF_*',
  'NATS_*',
  // the dynamic loader and the C library: libraries loaded into, or allocator and tunables of,
  // every process the application starts (GLIBC_TUNABLES: CVE-2023-4911; LOCPATH, NLSPATH and
  // GCONV_PATH: data files and modules the C library loads)
  'LD_*',
  'DYLD_*',
  'MALLOC_*',
  'GLIBC_TUNABLES',
  'GCONV_PATH',
  'LOCPATH',
  'NLSPATH',
  // the shell: which programs a name runs, scripts run at start, how words split, trace output
  'PATH',
  'BASH_ENV',
  'ENV',
  'IFS',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  // Node.js: options and modules loaded before the application's code, and the TLS trust
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'NODE_ICU_DATA',
  'NODE_REPL_EXTERNAL_MODULE',
  // OpenSSL: its config loads engines and providers (code); the certificates it trusts
  'OPENSSL_CONF',
  'OPENSSL_MODULES',
  'OPENSSL_ENGINES',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Python: module search path, start-up script, interpreter home; PYTHONWARNINGS and
  // PYTHONBREAKPOINT import modules they name
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'PYTHONHOME',
  'PYTHONUSERBASE',
  'PYTHONWARNINGS',
  'PYTHONBREAKPOINT',
  // Perl and Ruby: options (-M loads a module) and library paths
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  // the JVM: options every JVM reads (-javaagent loads code) and its class path
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
] as const;

/** What a variable name must look like: a POSIX shell name. */
export const APP_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` may not be set in an application's `env`, or undefined if it may. */
export function envNameProblem(name: string): string | undefined {
  if (!APP_ENV_NAME.test(name)) return `environment variable name ${JSON.stringify(name)} must match ${APP_ENV_NAME.source}`;
  const rule = FORBIDDEN_APP_ENV.find((f) => (f.endsWith('*') ? name.startsWith(f.slice(0, -1)) : name === f));
  if (rule) return `environment variable ${name} may not be set (${rule} is reserved for the agent, the bus or the runtime)`;
  return undefined;
}

/** A JSON pointer token: `~` and `/` escaped (RFC 6901), so that any key names one field. */
const token = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Why `cwd`, a path in an image, may not be an application's working directory: only a relative
 * one climbing out with `..`. An absolute one is checked by the agent in the container, against
 * its zone's `appRoots` (the image's folders are not the machine's).
 */
export function imageCwdProblem(cwd: string | undefined): string | undefined {
  return cwd === undefined || posix.isAbsolute(cwd) ? undefined : cwdProblem(cwd, []);
}

function envIssues(env: Record<string, string> | undefined, at: string): DescriptorIssue[] {
  return Object.keys(env ?? {}).flatMap((name) => {
    const problem = envNameProblem(name);
    return problem ? [{ field: `${at}/env/${token(name)}`, message: problem }] : [];
  });
}

/**
 * The problems of one application spec as a host runs it, found at `at` (a JSON pointer such as
 * `/clusters/0/app`): its cwd is a path on this host, checked against this host's `roots`. The
 * agent's check, where the spec is the one it runs (appOnHost made it).
 */
export function appIssues(app: Pick<AppSpec, 'cwd' | 'env'>, at: string, roots: readonly string[]): DescriptorIssue[] {
  const issues: DescriptorIssue[] = [];
  const cwd = cwdProblem(app.cwd, roots);
  if (cwd) issues.push({ field: `${at}/cwd`, message: cwd });
  return [...issues, ...envIssues(app.env, at)];
}

/**
 * The problems of one application spec as a descriptor (or an upgrade) declares it, before any
 * host is chosen: `roots` are the orchestrator's. Paths in an image are not the machine's:
 * `docker.cwd`, and the `cwd` of an app that names its `image` and has no `docker.cwd`, are
 * refused only for a relative `..` here; the agent in the container checks them against its
 * zone's roots. Every other absolute cwd is checked against `roots`; the environment always.
 */
export function declaredAppIssues(app: Pick<AppSpec, 'cwd' | 'env' | 'image' | 'docker'>, at: string, roots: readonly string[]): DescriptorIssue[] {
  const issues: DescriptorIssue[] = [];
  const inImage = app.image !== undefined && app.docker?.cwd === undefined;
  const cwd = inImage ? imageCwdProblem(app.cwd) : cwdProblem(app.cwd, roots);
  if (cwd) issues.push({ field: `${at}/cwd`, message: cwd });
  const dockerCwd = imageCwdProblem(app.docker?.cwd);
  if (dockerCwd) issues.push({ field: `${at}/docker/cwd`, message: dockerCwd });
  return [...issues, ...envIssues(app.env, at)];
}

/** The problems of every application spec of a descriptor: each cluster's `app` and `versions`. */
export function descriptorAppIssues(d: VnfDescriptor, roots: readonly string[]): DescriptorIssue[] {
  return d.clusters.flatMap((c, i) => [
    ...declaredAppIssues(c.app, `/clusters/${i}/app`, roots),
    ...(c.versions ?? []).flatMap((v, j) => declaredAppIssues(v, `/clusters/${i}/versions/${j}`, roots)),
  ]);
}
