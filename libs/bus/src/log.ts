import { pino, type Logger } from 'pino';
import { afterReply } from './after-reply.js';

export type { Logger };

/**
 * Lines below `error` are written a moment later (afterReply), in the order given. Most lines
 * are logged as a step ends, just before its reply, and formatting one costs about 0.15 ms in a
 * process that was idle; the reply need not wait for it. An error first writes what is pending,
 * then itself. Whatever is pending is written at exit.
 */
const pending: (() => void)[] = [];
let scheduled = false;
function drain(): void {
  scheduled = false;
  for (const write of pending.splice(0)) write();
}
process.on('exit', drain);

const ERROR = 50;

/** JSON lines on stdout; object first: `log.info({ op, vnf, node }, 'application started')`. */
export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    base: { service, ...bindings },
    level: process.env.LOG_LEVEL || 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      logMethod(args, method, level) {
        if (level >= ERROR) {
          drain();
          return method.apply(this, args);
        }
        pending.push(() => method.apply(this, args));
        if (!scheduled) {
          scheduled = true;
          void afterReply().then(drain);
        }
      },
    },
  });
}
