// bench/lib/echo.mjs with an identity: the same responder on bench.echo, connected as every
// service connects (NATS_CREDS, NATS_TLS_CA), for bench/deploy's floor on a secured server.
import { connect } from '@nats-io/transport-node';
import { authFromEnv, natsAuthOptions } from '@vnf-lcm/auth';

const nc = await connect({ servers: process.argv[2], name: 'bench-echo', ...natsAuthOptions(authFromEnv()) });
nc.subscribe('bench.echo', { callback: (_e, m) => m.respond(m.data) });
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void nc.close().then(() => process.exit(0)));
