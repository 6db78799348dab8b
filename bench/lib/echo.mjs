// A responder in a process of its own, for bench/deploy's floor: answers bench.echo with the request.
import { connect } from '@nats-io/transport-node';

const nc = await connect({ servers: process.argv[2], name: 'bench-echo' });
nc.subscribe('bench.echo', { callback: (_e, m) => m.respond(m.data) });
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void nc.close().then(() => process.exit(0)));
