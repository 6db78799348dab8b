import { connectBus } from '@vnf-lcm/bus/wire';
import { AppManager } from './app-manager.js';
import { readAssignment } from './assignment.js';
import { HeartbeatPublisher } from './heartbeat.js';
import { AgentLifecycle } from './lifecycle.js';
import { createLog } from './log.js';
import { handlers, serve } from './requests.js';

/** How the agent's code was loaded, for its first log line: boot.cjs's code cache (ADR 30). */
export interface BootReport {
  codeCache?: 'used' | 'rejected' | 'missing';
}

/*
 * One agent per node, started with the node: no framework, one NATS connection, a subscription
 * per request subject (docs/adr/0018-light-agent.md). Started cold, or ahead as a spare that
 * waits here for its node (docs/adr/0027-warm-spare-agent.md). The state is recovered (and a
 * running application adopted) before the first request can arrive.
 */
export async function main(boot: BootReport = {}): Promise<void> {
  const a = readAssignment();
  const log = createLog({ service: 'vnf-agent', node: a.node });
  if (boot.codeCache === 'rejected')
    log.warn({ codeCache: boot.codeCache }, 'code cache rejected (another Node.js or other V8 flags): the agent starts slower');
  const apps = new AppManager(a, log);
  const life = new AgentLifecycle(apps, log);

  // SIGTERM (or SIGINT) stops the application before the agent exits, like a host's shutdown; a
  // second signal waits for the same end rather than killing the agent halfway
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void life.exit());

  try {
    life.nc = await connectBus(`vnf-agent/${a.node}`, a.natsUrl, a.auth);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot connect to nats');
    process.exit(1);
  }
  await serve(life.nc, a.node, handlers(apps, life, log), log);
  log.info({ server: life.nc.getServer(), ...(a.warm ? { warm: true } : {}), ...boot }, 'agent started');
  // only now does anyone answer on our subjects, so only now may the VIM hear that we are up
  life.heartbeat = new HeartbeatPublisher(life.nc, apps, a, log);
  life.heartbeat.start();
}
