// The least a Node.js agent on NATS can be: connect as the agent connects (its identity on stdin,
// the CA), answer its status subject, say hello, heartbeat. bench/agent.mjs bundles it as the
// agent is bundled and starts it as the VIM starts an agent: its floor.
import { connect } from '@nats-io/transport-node';
import { authFromEnv, natsAuthOptions } from '@vnf-lcm/auth/client';

const node = process.env.VNF_NODE;
const nc = await connect({ servers: process.env.NATS_URL, name: `vnf-agent/${node}`, ...natsAuthOptions(authFromEnv()) });
nc.subscribe(`vnf.agent.status.${node}`, { callback: (_e, m) => m.respond('{}') });
await nc.flush();
nc.publish(`vnf.agent.hello.${node}`, JSON.stringify({ node, address: process.env.VNF_ADDRESS, pid: process.pid }));
setInterval(() => nc.publish(`vnf.agent.heartbeat.${node}`, JSON.stringify({ node, app: { state: 'absent' }, ts: new Date().toISOString() })), 250);
