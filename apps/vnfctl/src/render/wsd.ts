import { ARROW, type Diagram } from './diagram.js';

/** Reads websequencediagrams text as Trace.render writes it: title, participants, arrows. */
export function parseWsd(text: string): Diagram {
  const d: Diagram = { title: '', participants: [], arrows: [] };
  const meet = (p: string) => void (d.participants.includes(p) || d.participants.push(p));
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l.startsWith('title ')) d.title = l.slice(6);
    else if (l.startsWith('participant ')) meet(l.slice(12).trim());
    else {
      const m = ARROW.exec(l);
      if (!m) continue;
      const [, from, act, to, label] = m;
      meet(from);
      meet(to);
      d.arrows.push({ from, to, act: act as '+' | '-' | '', label });
    }
  }
  return d;
}

/** The diagram as websequencediagrams text, line for line what Trace.render writes. */
export function renderWsd(d: Diagram): string {
  const lines = [`title ${d.title}`, '', ...d.participants.map((p) => `participant ${p}`), ''];
  for (const a of d.arrows) lines.push(`${a.from}->${a.act}${a.to}: ${a.label}`.trimEnd());
  return `${lines.join('\n')}\n`;
}
