import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { Global, Module, type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, NestFactory } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Participant } from '@vnf-lcm/contracts';
import { Bus } from './client.js';
import { connectBus } from './wire/connect.js';
import { routesOf, type Route } from './dispatch.js';
import { ErrorBodyFilter, reportedErrorBody } from './filter.js';
import { createLogger, type Logger } from './log.js';
import { Observation } from './observe.js';
import { PlainJsonNatsServer } from './server.js';
import { ensureStreams } from './streams.js';
import { validationPipe } from './validation.js';

const BASELINE = process.env.VNF_BASELINE !== '0';

/** how long a closing service waits for NATS to confirm its last trace arrows */
const CLOSE_SETTLE_MS = 5_000;
/** and then for what else it wrote to leave (a connection waiting for NATS would wait forever) */
const CLOSE_DRAIN_MS = 1_000;

/** Injection tokens for what every service shares: its connection and its logger. */
export const NATS = Symbol('nats-connection');
export const LOG = Symbol('logger');

@Global()
@Module({})
class BusModule {
  static forRoot(nc: NatsConnection, bus: Bus, log: Logger): DynamicModule {
    return {
      module: BusModule,
      providers: [
        { provide: NATS, useValue: nc },
        { provide: Bus, useValue: bus },
        { provide: LOG, useValue: log },
      ],
      exports: [NATS, Bus, LOG],
    };
  }
}

class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}

export interface ServiceOptions {
  /** the NATS connection name, e.g. `vnfm` or `vnf-agent/web-backend-1` */
  name: string;
  participant: Participant;
  module: Type<unknown>;
  log?: Logger;
  /** a queue group, for services that may run as several instances */
  queue?: string;
  /**
   * false: do not make sure the trace and event streams exist. An agent may not touch
   * JetStream's API (its identity is one node's subjects), and writes no arrows of its own.
   */
  streams?: boolean;
  /**
   * false: no `$SRV` discovery and no /metrics. An agent's identity may not subscribe `$SRV`,
   * and a metrics port per node would be hundreds of ports.
   */
  observe?: boolean;
}

export interface RunningService {
  nc: NatsConnection;
  bus: Bus;
  log: Logger;
  close(): Promise<void>;
}

/**
 * Starts a service: one named NATS connection, the trace and event streams, Nest's microservice
 * on the plain-JSON transport with validation on every message, and a clean stop on SIGTERM/SIGINT.
 */
export async function runService(o: ServiceOptions): Promise<RunningService> {
  // every function compiled to V8's baseline code on its first call (ADR 0013): a request path
  // runs a few times per operation and would be interpreted throughout. Set before the connection
  // and Nest's start-up, so that what runs from here on is compiled so; process-wide, one-way.
  if (BASELINE) setFlagsFromString('--always-sparkplug');
  const log = o.log ?? createLogger(o.name);
  const raw = await connectBus(o.name);
  if (o.streams !== false) await ensureStreams(raw);
  const bus = new Bus(raw, o.participant, (entry, err) =>
    log.error({ op: entry.op, arrow: `${entry.from}->${entry.act}${entry.to}: ${entry.label}`, err: err.message }, 'trace arrow lost'),
  );
  // the service's code, its stores and its transport all send through the ordered connection
  const nc = bus.nc;
  @Module({ imports: [BusModule.forRoot(nc, bus, log), DiscoveryModule, o.module] })
  class Root {}
  const observed = o.observe === false ? undefined : new Observation(o.name, `vnf-lcm ${o.participant}`, log);
  const server = new PlainJsonNatsServer(nc, {
    queue: o.queue,
    beforeReply: () => bus.drainArrows(),
    errorBody: (err) => reportedErrorBody(log, err),
    answered: observed?.answered,
  });
  const app = await NestFactory.createMicroservice(Root, { strategy: server, logger: new PinoNestLogger(log) as LoggerService as any });
  const validation = validationPipe();
  app.useGlobalPipes(validation);
  app.useGlobalFilters(new ErrorBodyFilter(log));
  // listen() initialises the application itself. Nest 12's init() followed by listen() ran every
  // onModuleInit and onApplicationBootstrap hook twice (two heartbeat subscriptions in the VNFM,
  // two watch timers): test/deployment.test.ts counts the VNFM's subscriptions
  await app.listen();
  const routes = new Map<string, Route>();
  // controllers built once (not per request): their handlers are called directly (ADR 0012); a
  // request heard before this line went through Nest's own dispatch, which answers the same
  for (const c of app.get(DiscoveryService).getControllers())
    if (c.instance && c.isDependencyTreeStatic()) for (const [p, r] of routesOf(c.instance, validation)) routes.set(p, r);
  server.useRoutes(routes);
  await observed?.start(nc, server, o.queue);
  // the server knows every subscription once this returns: a request sent now is heard
  await nc.flush();
  log.info({ server: nc.getServer() }, 'service started');
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await observed?.stop();
      await bus.settled(CLOSE_SETTLE_MS);
      if (!nc.isClosed()) await Promise.race([nc.drain().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_DRAIN_MS).unref())]);
      if (!nc.isClosed()) await nc.close();
      log.info('service stopped');
    })());
  return { nc, bus, log, close };
}

/** For a service's main.ts: run it, and exit 0 on SIGTERM/SIGINT after a clean close. */
export async function main(o: ServiceOptions, onStop?: () => Promise<void>): Promise<RunningService> {
  const s = await runService(o);
  const stop = async (signal: string) => {
    s.log.info({ signal }, 'stopping');
    await onStop?.();
    await s.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return s;
}
