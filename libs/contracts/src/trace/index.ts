import type { Participant } from '../common/headers.js';

/** One arrow of an operation's sequence diagram, recorded by its sender as it crosses the bus. */
export const SubjectPrefix = 'vnf.trace';
export const subject = (op: string): string => `${SubjectPrefix}.${op}`;
export const STREAM = 'VNF_TRACE';

export interface Entry {
  op: string;
  from: Participant;
  to: Participant;
  /** `+` opens an activation of `to`, `-` closes the sender's */
  act: '+' | '-' | '';
  label: string;
  ts: string;
  /** the same instant in epoch milliseconds with microseconds, for measuring (bench/deploy) */
  at?: number;
  /** the subject the message went on, or `action` where the target did not exist yet */
  via: string;
  node?: string;
  cluster?: string;
}

/** Renders entries as websequencediagrams text; message lines only, in recorded order. */
export function render(entries: Entry[], title = 'Operation'): string {
  const lines = [`title ${title}`, '', ...['DevOps', 'AO', 'VIM', 'VNFM', 'VNF'].map((p) => `participant ${p}`), ''];
  for (const e of entries) lines.push(`${e.from}->${e.act}${e.to}: ${e.label}`.trimEnd());
  return `${lines.join('\n')}\n`;
}

/**
 * What an operation waits on now: the arrows opened and not yet returned, outermost first (e.g.
 * `AO->VNFM: activate application`, then `VNFM->VNF: start application` on one node). An arrow
 * sent again after a crash replaces the attempt before it, and everything that attempt left open.
 */
export function waiting(entries: Entry[]): Entry[] {
  const open: Entry[] = [];
  for (const e of entries) {
    if (e.act === '+') {
      const again = open.findIndex((o) => o.from === e.from && o.to === e.to && o.label === e.label && o.node === e.node);
      if (again >= 0) open.length = again;
      open.push(e);
    } else if (e.act === '-') {
      const i = open.findLastIndex((o) => o.from === e.to && o.to === e.from);
      if (i >= 0) open.length = i;
    }
  }
  return open;
}
