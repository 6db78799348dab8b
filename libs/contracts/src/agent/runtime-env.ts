/**
 * Node.js's own start-up variables (every `NODE_*`: NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...) are
 * not for the agent. It is our program, with its own trust (the installation's CA) and its own
 * code cache, which V8 rejects under other V8 flags; and each such variable costs every agent's
 * start (NODE_EXTRA_CA_CERTS naming the system's bundle: about 30 ms to parse it). The VIM starts
 * an agent with them moved under a prefix, and the agent gives them back to its application,
 * whose environment stays the host's (docs/adr/0030-agent-code-cache.md).
 */
export const RuntimeEnv = {
  /** what a moved variable is called in the agent's environment */
  prefix: 'VNF_APP_ENV_',
} as const;

const isRuntimeVar = (name: string) => name.startsWith('NODE_');

/** The VIM's side: the agent's environment, with Node.js's variables moved out of its way. */
export function parkRuntimeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(RuntimeEnv.prefix)) continue;
    out[isRuntimeVar(k) ? `${RuntimeEnv.prefix}${k}` : k] = v;
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
    if (k.startsWith(RuntimeEnv.prefix) && isRuntimeVar(name)) out[name] = v;
  }
  return out;
}
