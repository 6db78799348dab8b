import type { Events } from '@vnf-lcm/contracts';

const str = (v: unknown) => typeof v === 'string';
const optStr = (v: unknown) => v === undefined || typeof v === 'string';

/**
 * An event from a message, or why it is none. Anyone allowed to publish on `vnf.evt.>` can put
 * anything in the stream: vnfctl prints only what has the fields it prints.
 */
export function parseEvent(data: Uint8Array): { event: Events.Event } | { bad: string } {
  let e: unknown;
  try {
    e = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return { bad: 'not JSON' };
  }
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return { bad: 'not an object' };
  const o = e as Record<string, unknown>;
  const missing = ['op', 'vnf', 'step', 'state', 'ts'].filter((k) => !str(o[k]));
  if (missing.length) return { bad: `no string ${missing.join(', ')}` };
  if (!optStr(o.cluster) || !optStr(o.node)) return { bad: 'cluster or node is not a string' };
  const err = o.error as Record<string, unknown> | undefined;
  if (err !== undefined && (typeof err !== 'object' || err === null || !str(err.err_code) || !str(err.description))) return { bad: 'malformed error' };
  return { event: e as Events.Event };
}

/** One line on stderr per message skipped (JSON with --json, as vnfctl's errors are). */
export function warnSkipped(bad: string, where: { seq?: number; subject: string }, json = false) {
  if (json)
    process.stderr.write(
      `${JSON.stringify({ warning: { description: `skipped a malformed event: ${bad}`, subject: where.subject, ...(where.seq !== undefined ? { stream_seq: where.seq } : {}) } })}\n`,
    );
  else
    process.stderr.write(`vnfctl: skipped a malformed event (${where.seq !== undefined ? `stream seq ${where.seq}, ` : ''}subject ${where.subject}): ${bad}\n`);
}
