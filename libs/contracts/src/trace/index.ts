import type { Participant } from '../common/headers.js';
import { StepRef } from '../common/step.js';

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
  /**
   * The step the arrow belongs to (common/step.ts): both arrows of a request and of its return
   * carry the request's step, a receiver's arrows its part of it. Missing only in traces
   * recorded before steps were carried.
   */
  step?: StepRef;
  /**
   * Not an arrow: the saga took here the result of step `place`, which it had started ahead of
   * its turn (add-node.ts), or started here a step it then ran behind its line (remove-node.ts).
   * The step's arrows are read here, where the diagram has them.
   */
  place?: StepRef;
  node?: string;
  cluster?: string;
}

/** whether an entry is an arrow (not a placement) */
export const isArrow = (e: Entry): boolean => e.place === undefined;

/**
 * The arrows in the order the diagram reads them: as recorded, except that the arrows of a step
 * started ahead of its turn (and of its parts) are read where the saga placed it. Their times
 * are kept: a reader who wants to see the overlap looks at `at`.
 */
export function inReadingOrder(entries: Entry[]): Entry[] {
  const placed = entries.filter((e) => e.place !== undefined).map((e) => e.place as StepRef);
  if (placed.length === 0) return entries;
  const blockOf = (e: Entry) => (e.step === undefined ? undefined : placed.find((p) => StepRef.within(e.step as StepRef, p)));
  const blocks = new Map<StepRef, Entry[]>();
  for (const e of entries) {
    const b = isArrow(e) ? blockOf(e) : undefined;
    if (b !== undefined) blocks.set(b, [...(blocks.get(b) ?? []), e]);
  }
  const out: Entry[] = [];
  for (const e of entries) {
    if (!isArrow(e)) {
      // a step placed twice (a resumed saga places it again) is read where it was placed first
      out.push(...(blocks.get(e.place as StepRef) ?? []));
      blocks.delete(e.place as StepRef);
    } else if (blockOf(e) === undefined) out.push(e);
  }
  return out;
}

/** Renders entries as websequencediagrams text; message lines only, in reading order. */
export function render(entries: Entry[], title = 'Operation'): string {
  const lines = [`title ${title}`, '', ...['DevOps', 'AO', 'VIM', 'VNFM', 'VNF'].map((p) => `participant ${p}`), ''];
  for (const e of inReadingOrder(entries)) lines.push(`${e.from}->${e.act}${e.to}: ${e.label}`.trimEnd());
  return `${lines.join('\n')}\n`;
}

/**
 * What an operation waits on now: the arrows opened and not yet returned, outermost first (e.g.
 * `AO->VNFM: activate application`, then `VNFM->VNF: start application` on one node). An arrow
 * sent again after a crash replaces the attempt before it, and everything that attempt left
 * open: its step and the step's parts. Steps that run beside each other (hosts started ahead)
 * are told apart by their step; traces recorded without steps are read by label and node.
 */
export function waiting(entries: Entry[]): Entry[] {
  let open: Entry[] = [];
  /** drops `o` and, by step, what it left open (without steps: everything opened after it) */
  const close = (i: number) => {
    const o = open[i];
    if (o.step === undefined) open.length = i;
    else open = open.filter((x, j) => j < i || (j > i && !(x.step !== undefined && StepRef.within(x.step, o.step as StepRef))));
  };
  for (const e of entries) {
    if (!isArrow(e)) continue;
    if (e.act === '+') {
      const again = open.findIndex((o) =>
        e.step !== undefined && o.step !== undefined
          ? o.step === e.step && o.label === e.label
          : o.from === e.from && o.to === e.to && o.label === e.label && o.node === e.node,
      );
      if (again >= 0) close(again);
      open.push(e);
    } else if (e.act === '-') {
      const i = open.findLastIndex((o) => o.from === e.to && o.to === e.from && (e.step === undefined || o.step === undefined || o.step === e.step));
      if (i >= 0) close(i);
    }
  }
  return open;
}
