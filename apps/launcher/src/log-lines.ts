/**
 * The launcher's output: one JSON object per line, whoever wrote it, with the writer's name in
 * `service`, so that `jq`, a log shipper or a grep over a field reads every line alike. Services
 * log pino JSON already (libs/bus/log.ts): such a line gets `service` if it has none. Any other
 * line (nats-server's own format, a crash's stack trace, vnfctl's text) is wrapped whole into
 * `msg`. `--log-format text` prints the same records for people: time level service msg key=value.
 */
export type LogRecord = { level: string; time: string; service: string; msg: string } & Record<string, unknown>;
export type LogFormat = 'json' | 'text';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

/** nats-server's `[1234] 2026/12/01 17:00:00.000000 [INF] msg` */
const NATS_LINE = /^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d+ \[(DBG|TRC|INF|WRN|ERR|FTL)\] (.*)$/;
const NATS_LEVEL: Record<string, string> = { DBG: 'debug', TRC: 'trace', INF: 'info', WRN: 'warn', ERR: 'error', FTL: 'fatal' };
/** pino's numeric levels, for a service logging without its level formatter */
const PINO_LEVEL: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export const record = (service: string, msg: string, level = 'info', fields: Record<string, unknown> = {}): LogRecord => ({
  level,
  time: new Date().toISOString(),
  service,
  msg,
  ...fields,
});

/**
 * One line a process wrote, as a record. A JSON object keeps its fields (its own `service` too);
 * anything else is the message, at the level nats-server gave it, else `error` on stderr (where
 * stack traces go) and `info` on stdout.
 */
export function parseLine(service: string, line: string, stream: 'stdout' | 'stderr'): LogRecord {
  if (line.startsWith('{')) {
    try {
      const o = JSON.parse(line) as unknown;
      if (o && typeof o === 'object' && !Array.isArray(o)) {
        const r = o as Record<string, unknown>;
        const level = typeof r.level === 'number' ? (PINO_LEVEL[r.level] ?? String(r.level)) : typeof r.level === 'string' ? r.level : 'info';
        return {
          ...r,
          service: typeof r.service === 'string' ? r.service : service,
          level,
          time: typeof r.time === 'string' ? r.time : new Date(Number(r.time) || Date.now()).toISOString(),
          msg: typeof r.msg === 'string' ? r.msg : '',
        } as LogRecord;
      }
    } catch {
      /* not JSON after all: wrapped below */
    }
  }
  const n = NATS_LINE.exec(line);
  if (n) return record(service, n[2], NATS_LEVEL[n[1]]);
  return record(service, line, stream === 'stderr' ? 'error' : 'info');
}

const FIRST = ['time', 'level', 'service', 'msg'];
const value = (v: unknown) => (typeof v === 'string' && /^[^\s="]+$/.test(v) ? v : JSON.stringify(v));

/** The record as the launcher prints it: a JSON line, or for people `time level service msg key=value ...`. */
export function formatRecord(r: LogRecord, format: LogFormat): string {
  if (format === 'json') {
    // the fields people look for first, in the same order on every line
    const ordered: Record<string, unknown> = { level: r.level, time: r.time, service: r.service };
    for (const [k, v] of Object.entries(r)) if (!(k in ordered) && k !== 'msg') ordered[k] = v;
    ordered.msg = r.msg;
    return JSON.stringify(ordered);
  }
  const t = /T(\d\d:\d\d:\d\d(\.\d{1,3})?)/.exec(r.time)?.[1] ?? r.time;
  const rest = Object.entries(r)
    .filter(([k, v]) => !FIRST.includes(k) && !['pid', 'hostname'].includes(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return [t, r.level.toUpperCase().padEnd(5), r.service.padEnd(12), r.msg, ...rest].join(' ').trimEnd();
}
