import { connect, type NatsConnection } from '@nats-io/transport-node';
import { authFromEnv, natsAuthOptions, type ClientAuth } from '@vnf-lcm/auth/client';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** one attempt to connect (TCP, TLS, CONNECT and its PONG); far above what one takes, even across machines */
export const DIAL_TIMEOUT_MS = 3_000;

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
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // each attempt to reach a server gives up after this long and the next one starts: nats.js
    // waits 20 s by default, and a dial that met a server being killed (its socket gone before
    // the PONG) waited it out, past the VIM's 15 s wait for a new agent's hello
    timeout: DIAL_TIMEOUT_MS,
    pingInterval: 10_000,
    // every request would capture a stack for its possible error: too dear on each step's path
    noAsyncTraces: true,
  });
}
