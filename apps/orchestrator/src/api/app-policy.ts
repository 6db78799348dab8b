import { rpcError } from '@vnf-lcm/bus';
import { Descriptor } from '@vnf-lcm/contracts';

/**
 * The application roots of this orchestrator, read once at start: they are the installation's
 * configuration, never a request's. Entries that confine nothing are reported by DeployService.
 */
export const APP_ROOTS: Descriptor.AppRoots = Descriptor.parseAppRoots(process.env[Descriptor.APP_ROOTS_ENV]);
export const APP_POLICY: Descriptor.AppPolicy = { appRoots: APP_ROOTS.roots };

/** A descriptor parsed and checked against this orchestrator's policy; refused as `invalid_descriptor`. */
export function checkedDescriptor(input: unknown): Descriptor.VnfDescriptor {
  try {
    return Descriptor.parseDescriptor(input, APP_POLICY);
  } catch (err) {
    throw asRpc(err);
  }
}

/**
 * The policy's problems of one application spec, found at `at` (a JSON pointer), refused as
 * `invalid_descriptor`; paths in its image are the docker agent's to check (declaredAppIssues).
 */
export function checkApp(app: Descriptor.AppSpec, at: string): void {
  const issues = Descriptor.declaredAppIssues(app, at, APP_POLICY.appRoots);
  if (issues.length) throw asRpc(new Descriptor.DescriptorError(issues));
}

export function asRpc(err: unknown): unknown {
  return err instanceof Descriptor.DescriptorError ? rpcError('invalid_descriptor', err.message, { issues: err.issues }) : err;
}
