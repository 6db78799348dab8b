/**
 * The agent's log: JSON lines on stdout shaped like the services' pino lines (level, time, the
 * bindings, the object, msg), object first: `log.info({ op, pid }, 'application started')`.
 * Its own and not pino, because pino costs a node about 30 ms and 8 MB at every start
 * (docs/adr/0018-light-agent.md); the agent writes a few lines per step and needs none of
 * pino's transports or serializers beyond errors.
 */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type Level = keyof typeof LEVELS;

export interface LogFn {
  (obj: Record<string, unknown>, msg?: string): void;
  (msg: string): void;
}
export type Log = Record<Level, LogFn>;

export function createLog(bindings: Record<string, unknown>, level = process.env.LOG_LEVEL, write = (line: string) => void process.stdout.write(line)): Log {
  const min = LEVELS[(level as Level) in LEVELS ? (level as Level) : 'info'];
  const line = (label: Level) =>
    ((a: Record<string, unknown> | string, msg?: string) => {
      if (LEVELS[label] < min) return;
      const obj = typeof a === 'string' ? {} : a;
      const text = typeof a === 'string' ? a : msg;
      const out = { level: label, time: new Date().toISOString(), ...bindings, ...obj };
      write(`${JSON.stringify(text === undefined ? out : { ...out, msg: text }, errors)}\n`);
    }) as LogFn;
  return Object.fromEntries(Object.keys(LEVELS).map((l) => [l, line(l as Level)])) as Log;
}

/** an Error as pino's serializer writes it; JSON.stringify would write `{}` */
function errors(_key: string, v: unknown): unknown {
  return v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
}
