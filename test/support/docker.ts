import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { DockerClient } from '../../apps/vim-adapter/src/drivers/docker/client.js';

/**
 * For a test that needs Docker: fails (never skips) with what to do when the engine cannot be
 * reached, then builds the local images when missing (`npm run images`: idempotent, no registry).
 */
export async function dockerReady(docker: DockerClient, root: string): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `Docker is not reachable at ${docker.socketPath} (${(err as Error).message}): this test needs a running Docker Engine (start it with \`dockerd > /tmp/dockerd.log 2>&1 &\`); it is not skipped`,
    );
  }
  try {
    execFileSync(process.execPath, [join(root, 'scripts/images.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`npm run images failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message}`);
  }
}
