/**
 * The launcher's output (apps/launcher/src/log-lines.ts: one JSON record a line) as the tests
 * read it: `[service] msg` lines, so that a check is a regular expression over what an operator
 * would see; a line that is not JSON stays as it is.
 */
export function saidLines(out: string): string {
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        const r = JSON.parse(l) as { service: string; msg: string };
        return `[${r.service}] ${r.msg}`;
      } catch {
        return l;
      }
    })
    .join('\n');
}
