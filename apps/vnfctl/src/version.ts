import { readFileSync } from 'node:fs';

/** set by the install bundle (scripts/install-vnfctl), which has no package.json beside it */
declare const __VNFCTL_VERSION__: string | undefined;

/** vnfctl's version: the vnf-lcm package's, which it is built from. */
export function version(): string {
  if (typeof __VNFCTL_VERSION__ === 'string') return __VNFCTL_VERSION__;
  // apps/vnfctl/dist/version.js -> the repository's package.json
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** global options that take a value, so that what follows them is not taken for a command */
const VALUED = new Set(['-s', '--server', '--creds', '--tls-ca', '--timeout']);

/**
 * Whether `args` ask for the version: `--version` (or `-V`) before any command. After a command
 * it is that command's own option (`upgrade --version v2`), which commander would otherwise
 * take for the program's, as it reads program options anywhere on the line.
 */
export function asksVersion(args: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--version' || a === '-V') return true;
    if (VALUED.has(a)) i++;
    else if (!a.startsWith('-')) return false;
  }
  return false;
}
