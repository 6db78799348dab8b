import { replyError } from '@vnf-lcm/bus/wire';
import type { Descriptor } from '@vnf-lcm/contracts';
import { APP_ROOTS_ENV, appIssues, parseAppRoots } from '@vnf-lcm/contracts/descriptor/confinement';

/**
 * This node's application roots, from the agent's own environment (the VIM passes its own on):
 * the agent does not take the orchestrator's word for a spec, since specs also reach it from the
 * VNFM and from its saved state. Read once, like the rest of the agent's configuration.
 */
export const APP_ROOTS: Descriptor.AppRoots = parseAppRoots(process.env[APP_ROOTS_ENV]);

/**
 * Refuses, as `invalid_request` naming each field, an application spec whose cwd or environment
 * the policy does not allow (libs/contracts confinement.ts): called before anything is recorded
 * or spawned.
 */
export function refuseUnsafeApp(app: Descriptor.AppSpec, roots: readonly string[] = APP_ROOTS.roots): void {
  const issues = appIssues(app, '/app', roots);
  if (issues.length) throw replyError('invalid_request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}
