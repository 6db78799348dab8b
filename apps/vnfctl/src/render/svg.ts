import { balanced, labelLines, type Diagram } from './diagram.js';

/** layout, in SVG user units (px) */
const L = {
  margin: 20,
  col: 170,
  head: 34,
  titleH: 30,
  /** one label line */
  line: 14,
  /** space above an arrow's label and below the arrow */
  gap: 12,
  bar: 10,
  selfW: 34,
} as const;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/**
 * A self-contained SVG sequence diagram (no script, no external font or stylesheet):
 * participants as boxes over dashed lifelines, one arrow per message (`<line class="arrow">`,
 * or `<path class="arrow">` for a message to itself) with its label, and activation bars
 * (`<rect class="activation">`) from the arrow that opens one to the arrow that closes it.
 */
export function renderSvg(d: Diagram): string {
  const col = new Map(d.participants.map((p, i) => [p, i]));
  const x = (p: string) => L.margin + L.col / 2 + (col.get(p) ?? 0) * L.col;
  const width = L.margin * 2 + Math.max(1, d.participants.length) * L.col;
  const top = L.margin + (d.title ? L.titleH : 0);
  let y = top + L.head + L.gap;

  const open = new Map<string, number[]>();
  const bars: { p: string; depth: number; y0: number; y1: number }[] = [];
  /** where an arrow leaves or reaches a lifeline: the edge of its innermost open bar */
  const edge = (p: string, toward: number) => {
    const depth = open.get(p)?.length ?? 0;
    return depth ? x(p) + (depth - 1) * 4 + (toward >= x(p) ? L.bar / 2 : -L.bar / 2) : x(p);
  };
  const arrows: string[] = [];
  for (const a of balanced(d.arrows)) {
    const lines = labelLines(a.label);
    y += lines.length * L.line;
    const cls = a.act === '-' ? 'arrow reply' : 'arrow';
    const label = (cx: number, anchor: string) =>
      `<text class="label" x="${cx}" y="${y - 4 - (lines.length - 1) * L.line}" text-anchor="${anchor}">${lines
        .map((l, i) => `<tspan x="${cx}" dy="${i ? L.line : 0}">${esc(l)}</tspan>`)
        .join('')}</text>`;
    if (a.from === a.to) {
      const sx = edge(a.from, Number.POSITIVE_INFINITY);
      arrows.push(`<path class="${cls}" d="M${sx},${y} h${L.selfW} v${L.line} h${-L.selfW}" marker-end="url(#head)"/>`, label(sx + L.selfW + 4, 'start'));
      y += L.line;
    } else {
      const x1 = edge(a.from, x(a.to));
      if (a.act === '+') open.set(a.to, [...(open.get(a.to) ?? []), y]);
      const x2 = edge(a.to, x(a.from));
      arrows.push(`<line class="${cls}" x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" marker-end="url(#head)"/>`, label((x1 + x2) / 2, 'middle'));
    }
    if (a.act === '-') {
      const stack = open.get(a.from)!;
      bars.push({ p: a.from, depth: stack.length - 1, y0: stack.pop()!, y1: y });
    }
    y += L.gap;
  }
  const bottom = y + L.gap;
  for (const [p, stack] of open) stack.forEach((y0, depth) => bars.push({ p, depth, y0, y1: bottom - L.gap / 2 }));

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bottom + L.margin}" viewBox="0 0 ${width} ${bottom + L.margin}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(d.title || 'sequence diagram')}</title>`,
    '<style>.lifeline{stroke:#888;stroke-dasharray:4 4}.arrow{stroke:#222;fill:none}.reply{stroke-dasharray:6 3}.activation{fill:#eef;stroke:#446}.participant{fill:#f4f4f4;stroke:#333}.label{fill:#111}</style>',
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>',
    '<rect width="100%" height="100%" fill="#fff"/>',
  ];
  if (d.title)
    out.push(`<text class="title" x="${width / 2}" y="${L.margin + 16}" text-anchor="middle" font-size="15" font-weight="bold">${esc(d.title)}</text>`);
  for (const p of d.participants) {
    out.push(
      `<line class="lifeline" x1="${x(p)}" y1="${top + L.head}" x2="${x(p)}" y2="${bottom}"/>`,
      `<rect class="participant" x="${x(p) - L.col / 2 + 10}" y="${top}" width="${L.col - 20}" height="${L.head}" rx="4"/>`,
      `<text x="${x(p)}" y="${top + L.head / 2 + 4}" text-anchor="middle" font-weight="bold">${esc(p)}</text>`,
    );
  }
  for (const b of bars)
    out.push(`<rect class="activation" x="${x(b.p) - L.bar / 2 + b.depth * 4}" y="${b.y0}" width="${L.bar}" height="${Math.max(2, b.y1 - b.y0)}"/>`);
  out.push(...arrows, '</svg>');
  return `${out.join('\n')}\n`;
}
