/**
 * Node.js's and OpenSSL's start-up variables (every `NODE_*` and `OPENSSL_*`, `SSL_CERT_FILE`,
 * `SSL_CERT_DIR`) are not for the agent. It is our program, with its own trust (the
 * installation's CA), its own crypto set-up and its own code cache, which V8 rejects under other
 * V8 flags; and each such variable costs every agent's start (NODE_EXTRA_CA_CERTS naming the
 * system's bundle: about 30 ms to parse it). The VIM starts an agent with them moved under a
 * prefix, and the agent gives them back to its application, whose environment stays the host's
 * (docs/adr/0030-agent-code-cache.md).
 */
export const RuntimeEnv = {
  /** what a moved variable is called in the agent's environment */
  prefix: 'VNF_APP_ENV_',
  /**
   * Node.js options on the agent's own command line (not NODE_OPTIONS, which stays the
   * application's). `--use-openssl-ca`: the certificate store Node.js builds before it adds a
   * context's own CA (which then replaces it: the agent still trusts its CA alone) is OpenSSL's
   * default file, absent on Debian, instead of Node.js's 140 bundled certificates: 17 ms less.
   */
  nodeFlags: ['--use-openssl-ca'],
} as const;

const OPENSSL_TRUST = new Set(['SSL_CERT_FILE', 'SSL_CERT_DIR']);
const isRuntimeVar = (name: string) => name.startsWith('NODE_') || name.startsWith('OPENSSL_') || OPENSSL_TRUST.has(name);
/**
 * The dynamic loader's variables: an application image's are for the image's own libc, which a
 * docker agent does not use (it runs through its own loader, ADR 15), and LD_PRELOAD or LD_AUDIT
 * would load the image's code into the agent. Moved only out of an image's environment: the
 * process driver's agent runs on the host's loader, which may need the host's LD_LIBRARY_PATH.
 */
const isLoaderVar = (name: string) => name.startsWith('LD_') || name === 'GLIBC_TUNABLES';

/** The VIM's side: the agent's environment, with Node.js's variables moved out of its way. */
export function parkRuntimeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(RuntimeEnv.prefix)) continue;
    out[isRuntimeVar(k) ? `${RuntimeEnv.prefix}${k}` : k] = v;
  }
  return out;
}

/**
 * The docker driver's side: what a container's environment adds to its application image's own
 * `ENV` (`NAME=value` entries), which Docker gives every process of the container, the agent
 * first. Each runtime or loader variable of the image is blanked for the agent (an empty value is
 * no value to Node.js, OpenSSL and the loader) and moved under the prefix for the application.
 */
export function parkImageEnv(imageEnv: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of imageEnv ?? []) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!isRuntimeVar(name) && !isLoaderVar(name)) continue;
    out[name] = '';
    out[`${RuntimeEnv.prefix}${name}`] = eq < 0 ? '' : entry.slice(eq + 1);
  }
  return out;
}

/** The agent's side: its own environment as the application gets it, the moved variables back. */
export function restoreRuntimeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(RuntimeEnv.prefix)) out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) {
    const name = k.slice(RuntimeEnv.prefix.length);
    if (k.startsWith(RuntimeEnv.prefix) && (isRuntimeVar(name) || isLoaderVar(name))) out[name] = v;
  }
  return out;
}
