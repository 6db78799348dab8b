import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './system.js';

/**
 * The project's own conformance check of a trace against a diagram of shared/sequences, read
 * the way shared/tools/seqcheck.py reads it: message lines in order, each `loop ... end` zero or
 * more times, the opening `X->AO: request` lines alternatives, a closing top-level
 * `AO->VNFM: notify` optional.
 */
type Op = { k: 'msg'; m: string } | { k: 'split'; a: number; b: number } | { k: 'jmp'; to: number };

const MSG = /^\s*([A-Za-z][\w-]*)\s*-{1,2}>\s*([+-]?)\s*([A-Za-z][\w-]*)\s*:(.*)$/;

export function norm(line: string): string | undefined {
  const m = MSG.exec(line);
  if (!m) return undefined;
  return `${m[1]}->${m[2]}${m[3]}:${m[4].trim().replace(/\s+/g, ' ')}`;
}

export const SEQUENCES = join(ROOT, '..', 'shared', 'sequences');
/** the project's own diagrams, for algorithms shared/sequences has none of (terminate) */
export const OWN_SEQUENCES = join(ROOT, 'docs', 'sequences');
export const diagramFile = (name: string) =>
  [join(SEQUENCES, `${name}.wsd`), join(OWN_SEQUENCES, `${name}.wsd`)].find((f) => existsSync(f)) ?? join(SEQUENCES, `${name}.wsd`);
export const diagram = (name: string) => readFileSync(diagramFile(name), 'utf8');

export function compile(text: string): Op[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((s) => s && !/^(#|title|participant|note )/.test(s));
  const prog: Op[] = [];
  const stack: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i];
    if (s.startsWith('loop')) {
      stack.push(prog.length);
      prog.push({ k: 'jmp', to: -1 });
      continue;
    }
    if (s === 'end') {
      const start = stack.pop()!;
      prog.push({ k: 'jmp', to: start });
      prog[start] = { k: 'split', a: start + 1, b: prog.length };
      continue;
    }
    const n = norm(s);
    if (!n) throw new Error(`unparsed diagram line: ${s}`);
    if (prog.length === 0 && n.includes('->AO:request')) {
      const alts = [n];
      while (i + 1 < lines.length && (norm(lines[i + 1]) ?? '').indexOf('->AO:request') > 0) alts.push(norm(lines[++i])!);
      if (alts.length > 1) {
        const splits = alts.slice(1).map(() => prog.push({ k: 'jmp', to: -1 }) - 1);
        const targets = alts.map((a) => {
          const t = prog.length;
          prog.push({ k: 'msg', m: a }, { k: 'jmp', to: -1 });
          return t;
        });
        splits.forEach((sp, j) => (prog[sp] = { k: 'split', a: targets[j], b: j + 1 < splits.length ? splits[j + 1] : targets[targets.length - 1] }));
        targets.forEach((t) => (prog[t + 1] = { k: 'jmp', to: prog.length }));
        continue;
      }
    }
    if (n === 'AO->VNFM:notify' && stack.length === 0 && i === lines.length - 1) {
      prog.push({ k: 'split', a: prog.length + 1, b: prog.length + 2 }, { k: 'msg', m: n });
      continue;
    }
    prog.push({ k: 'msg', m: n });
  }
  return prog;
}

function closure(prog: Op[], pcs: number[]): Set<number> {
  const seen = new Set<number>();
  const todo = [...pcs];
  while (todo.length) {
    const pc = todo.pop()!;
    if (seen.has(pc)) continue;
    seen.add(pc);
    const op = prog[pc];
    if (op?.k === 'split') todo.push(op.a, op.b);
    else if (op?.k === 'jmp') todo.push(op.to);
  }
  return seen;
}

export interface Fit {
  ok: boolean;
  messages: number;
  /** where it diverged: the message and what the diagram allowed there */
  at?: number;
  got?: string;
  expected?: string[];
}

export function fits(diagramText: string, traceText: string): Fit {
  const prog = compile(diagramText);
  const msgs = traceText
    .split('\n')
    .map(norm)
    .filter((x): x is string => !!x);
  const expected = (st: Set<number>) => [...st].flatMap((pc) => (prog[pc]?.k === 'msg' ? [(prog[pc] as { m: string }).m] : []));
  let states = closure(prog, [0]);
  for (let i = 0; i < msgs.length; i++) {
    const next = [...states].filter((pc) => prog[pc]?.k === 'msg' && (prog[pc] as { m: string }).m === msgs[i]).map((pc) => pc + 1);
    if (!next.length) return { ok: false, messages: msgs.length, at: i + 1, got: msgs[i], expected: expected(states) };
    states = closure(prog, next);
  }
  if (states.has(prog.length)) return { ok: msgs.length > 0, messages: msgs.length };
  return { ok: false, messages: msgs.length, at: msgs.length + 1, got: '(end of trace)', expected: expected(states) };
}

export const count = (traceText: string, label: string) => traceText.split('\n').filter((l) => norm(l)?.includes(label)).length;

/**
 * A trace with the repeats of a crash removed. A request sent again after its sender or its
 * receiver died appears twice: the second opening is dropped (the first stands). Arrows the first
 * attempt left open are dropped only once the trace moves on without closing them (the receiver
 * may have lived on and closes them later); a block repeated right after an identical one counts
 * once; children done again from the first child replace the first attempt's.
 */
export function withoutRepeats(traceText: string): string {
  const lines = traceText.split('\n').filter((l) => norm(l));
  const kept: number[] = [];
  type Open = { pos: number; from: string; to: string; key: string; firstChild?: string };
  const stack: Open[] = [];
  const lastClosed = new Map<number, { start: number; end: number; key: string }>();
  /** a repeat arrived while its first attempt had these levels still open: alive or dead? */
  let doubt: number | undefined;
  /** a repeat of this level arrived with nothing open inside: its children may come again */
  let again: { level: number; key?: string } | undefined;
  const close = (line: string) => {
    const m = MSG.exec(line)!;
    const top = stack[stack.length - 1];
    return m[2] === '-' && top && top.to === m[1] && top.from === m[3];
  };
  lines.forEach((line, i) => {
    if (doubt !== undefined) {
      if (stack.length > doubt && close(line)) {
        // the receiver lived on: its open arrow closes after the repeat's opening
      } else {
        if (stack.length > doubt) {
          kept.length = stack[doubt].pos;
          stack.length = doubt;
          for (const d of [...lastClosed.keys()]) if (d > doubt) lastClosed.delete(d);
        }
        doubt = undefined;
      }
    }
    const m = MSG.exec(line)!;
    const [from, act, to] = [m[1], m[2], m[3]];
    const key = norm(line)!;
    if (act === '+') {
      const dup = stack.findIndex((o) => o.key === key);
      if (dup >= 0) {
        if (dup + 1 < stack.length) doubt = dup + 1;
        else again = { level: dup + 1, key: stack[dup].firstChild };
        return;
      }
      if (again && again.level <= stack.length && again.key === key) {
        // the receiver does it all again from the first child: the second attempt stands. What
        // the first attempt sent after it ended goes with it: an arrow written before a NATS
        // restart and stored only after it, behind the repeat (seen: a VIM's `destroy virtual
        // host` left open above the repeat's `stop virtual host`, test/fixtures/traces/nats-upg)
        const parent = stack[again.level - 1];
        kept.length = parent.pos + 1;
        stack.length = again.level;
        for (const d of [...lastClosed.keys()]) if (d >= again.level) lastClosed.delete(d);
        again = undefined;
      }
      const prev = lastClosed.get(stack.length);
      if (prev && prev.key === key && prev.end === kept.length - 1) kept.length = prev.start;
      const parent = stack[stack.length - 1];
      if (parent && !parent.firstChild) parent.firstChild = key;
      kept.push(i);
      stack.push({ pos: kept.length - 1, from, to, key });
      return;
    }
    kept.push(i);
    const top = stack[stack.length - 1];
    if (act === '-' && top && top.to === from && top.from === to) {
      stack.pop();
      if (again && again.level > stack.length) again = undefined;
      lastClosed.set(stack.length, { start: top.pos, end: kept.length - 1, key: top.key });
    }
  });
  return `${kept.map((i) => lines[i]).join('\n')}\n`;
}
