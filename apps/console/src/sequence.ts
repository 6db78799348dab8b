/**
 * An operation's trace drawn as websequencediagrams draws the seed's diagrams
 * (shared/sequences/*.wsd): participants as boxes over dashed lifelines, one horizontal arrow per
 * trace entry in recorded order (loops are already unrolled in a trace), and an activation bar
 * from each `+` arrow to the `-` arrow its participant returns with. Pure: text in, SVG text out,
 * so that the page re-draws it as arrows arrive and a unit spec can check it without a browser.
 */

/** What the drawing needs of a trace entry (libs/contracts Trace.Entry has more). */
export interface Arrow {
  from: string;
  to: string;
  /** `+` opens an activation of `to`, `-` closes the sender's */
  act: '+' | '-' | '';
  label: string;
}

/** The seeds' order, left to right; a participant no seed names is added after them. */
export const PARTICIPANTS = ['DevOps', 'AO', 'VIM', 'VNFM', 'VNF'] as const;

const G = {
  left: 60,
  column: 170,
  top: 40,
  box: { w: 90, h: 30 },
  line: 15,
  gap: 14,
  bar: 10,
  /** a nested activation of the same participant sits this far to the right */
  nest: 5,
} as const;

export interface Bar {
  participant: string;
  x: number;
  y1: number;
  y2: number;
  /** still open when the trace ends (the operation waits on it, or it runs) */
  open: boolean;
}

export interface Line {
  x1: number;
  x2: number;
  y: number;
  label: string[];
  self: boolean;
}

export interface Layout {
  participants: { name: string; x: number }[];
  arrows: Line[];
  bars: Bar[];
  width: number;
  height: number;
  /** where the lifelines end and the bottom boxes begin */
  bottom: number;
}

/** `request\nupdate`: the diagrams' line break, written as backslash-n in labels */
const lines = (label: string) => label.split(/\\n|\n/);

export function layout(arrows: Arrow[]): Layout {
  const names: string[] = [...PARTICIPANTS];
  for (const a of arrows) for (const p of [a.from, a.to]) if (!names.includes(p)) names.push(p);
  const x = new Map(names.map((n, i) => [n, G.left + G.box.w / 2 + i * G.column]));
  const open = new Map<string, { y1: number; depth: number }[]>(names.map((n) => [n, []]));
  const bars: Bar[] = [];
  /** the edge of a participant's innermost bar on the side facing `toward` */
  const edge = (p: string, toward: number) => {
    const depth = open.get(p)!.length;
    const cx = x.get(p)!;
    if (depth === 0) return cx;
    const barX = cx - G.bar / 2 + (depth - 1) * G.nest;
    return toward >= barX + G.bar / 2 ? barX + G.bar : barX;
  };
  const out: Line[] = [];
  let y = G.top + G.box.h + 16;
  for (const a of arrows) {
    const label = lines(a.label);
    y += label.length * G.line + 4;
    const self = a.from === a.to;
    const fx = x.get(a.from)!;
    const tx = x.get(a.to)!;
    // a return leaves from the sender's bar before it closes; a request reaches the bar it opens
    const x1 = edge(a.from, tx);
    if (a.act === '-') {
      const b = open.get(a.from)!.pop();
      if (b) bars.push({ participant: a.from, x: fx - G.bar / 2 + b.depth * G.nest, y1: b.y1, y2: y, open: false });
    }
    if (a.act === '+') open.get(a.to)!.push({ y1: y, depth: open.get(a.to)!.length });
    const x2 = self ? x1 : edge(a.to, fx);
    out.push({ x1, x2, y, label, self });
    y += self ? G.gap + 12 : G.gap;
  }
  const bottom = y + 10;
  for (const [p, stack] of open)
    for (const b of stack) bars.push({ participant: p, x: x.get(p)! - G.bar / 2 + b.depth * G.nest, y1: b.y1, y2: bottom, open: true });
  return {
    participants: names.map((name) => ({ name, x: x.get(name)! })),
    arrows: out,
    bars,
    width: G.left * 2 + G.box.w + (names.length - 1) * G.column,
    height: bottom + G.box.h + 20,
    bottom,
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The whole diagram as one `<svg>`; each arrow is a `<g class="arrow">`, each bar a `rect.activation`. */
export function sequenceSvg(arrows: Arrow[], title = 'Operation'): string {
  const l = layout(arrows);
  const box = (name: string, cx: number, y: number) =>
    `<g class="participant"><rect x="${cx - G.box.w / 2}" y="${y}" width="${G.box.w}" height="${G.box.h}" rx="3"/>` +
    `<text x="${cx}" y="${y + G.box.h / 2 + 5}" text-anchor="middle">${esc(name)}</text></g>`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="sans-serif" font-size="12">`,
    '<defs><marker id="seq-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    `<text class="title" x="${l.width / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  for (const p of l.participants) {
    parts.push(`<line class="lifeline" x1="${p.x}" y1="${G.top + G.box.h}" x2="${p.x}" y2="${l.bottom}" stroke="#888" stroke-dasharray="4 3"/>`);
    parts.push(box(p.name, p.x, G.top), box(p.name, p.x, l.bottom));
  }
  for (const b of l.bars)
    parts.push(
      `<rect class="activation${b.open ? ' open' : ''}" data-participant="${esc(b.participant)}" x="${b.x}" y="${b.y1}" width="${G.bar}" height="${Math.max(2, b.y2 - b.y1)}" fill="#fff" stroke="#333"/>`,
    );
  l.arrows.forEach((a, i) => {
    const textX = a.self ? a.x1 + 8 : (a.x1 + a.x2) / 2;
    const anchor = a.self ? 'start' : 'middle';
    const text = a.label.map((t, k) => `<tspan x="${textX}" y="${a.y - 4 - (a.label.length - 1 - k) * G.line}">${esc(t)}</tspan>`).join('');
    const shape = a.self
      ? `<path d="M${a.x1},${a.y} h30 v12 h-30" fill="none" stroke="#000" marker-end="url(#seq-head)"/>`
      : `<line x1="${a.x1}" y1="${a.y}" x2="${a.x2}" y2="${a.y}" stroke="#000" marker-end="url(#seq-head)"/>`;
    parts.push(`<g class="arrow" data-index="${i}">${shape}<text text-anchor="${anchor}">${text}</text></g>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
