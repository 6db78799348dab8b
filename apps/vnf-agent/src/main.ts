import 'reflect-metadata';
import { createLogger, main } from '@vnf-lcm/bus';
import { Participant } from '@vnf-lcm/contracts';
import { ENV } from './env.js';
import { AppManager } from './app-manager.js';
import { agentModule } from './agent.module.js';
import { HeartbeatPublisher } from './heartbeat.js';
import { AgentLifecycle } from './lifecycle.js';

const log = createLogger('vnf-agent', { node: ENV.node });
const apps = new AppManager(ENV, log);
const life = new AgentLifecycle(apps, log);

/*
 * SIGTERM (or SIGINT) stops the application before the agent exits, like a host's shutdown.
 * main()'s own handler and this one both end in life.exit(), which runs once; this one stays
 * registered so that a second signal cannot kill the agent halfway.
 */
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void life.exit());

const service = await main(
  { name: `vnf-agent/${ENV.node}`, participant: Participant.vnf, module: agentModule(apps, life), log, streams: false, observe: false },
  () => life.stopApp(),
);
life.service = service;
// only now does anyone answer on our subjects, so only now may the VIM hear that we are up
life.heartbeat = new HeartbeatPublisher(service.nc, apps, ENV, log);
life.heartbeat.start();
