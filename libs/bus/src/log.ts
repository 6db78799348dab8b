import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; object first: `log.info({ op, vnf, node }, 'application started')`. */
export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    base: { service, ...bindings },
    level: process.env.LOG_LEVEL || 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
