import { connect, type NatsConnection } from '@nats-io/transport-node';
import { authFromEnv, natsAuthOptions, RECONNECTING, type ClientAuth } from '@vnf-lcm/auth/client';

export { DIAL_TIMEOUT_MS } from '@vnf-lcm/auth/client';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export function natsUrl(): string {
  return process.env.NATS_URL || DEFAULT_NATS_URL;
}

/**
 * One named connection per process (the server's /connz shows who is connected). It waits for
 * a server that is not up yet and reconnects forever: services outlive NATS restarts. Its
 * identity and the server's CA come from NATS_CREDS and NATS_TLS_CA unless given.
 */
export function connectBus(name: string, servers = natsUrl(), auth: ClientAuth = authFromEnv()): Promise<NatsConnection> {
  return connect({
    ...natsAuthOptions(auth),
    servers: servers.split(','),
    name,
    // forever, every 250 ms, each dial given up after 3 s (a dial that met a server being killed
    // would otherwise wait 20 s, past the VIM's 15 s wait for a new agent's hello)
    ...RECONNECTING,
    pingInterval: 10_000,
    // every request would capture a stack for its possible error: too dear on each step's path
    noAsyncTraces: true,
  });
}
