import { balanced, labelLines, type Diagram } from './diagram.js';

/**
 * Mermaid's entity codes for what would end or break a message: `;` ends a statement and `#`
 * starts an entity code itself.
 */
const text = (s: string) => s.replace(/[#;]/g, (c) => `#${c.charCodeAt(0)};`);

/**
 * A mermaid `sequenceDiagram`: calls as `->>`, returns (an arrow closing its sender's activation)
 * as `-->>`, activations as mermaid's `+`/`-`. A `-` with nothing open is drawn plain: mermaid
 * fails the whole diagram on it.
 */
export function renderMermaid(d: Diagram): string {
  const lines = ['sequenceDiagram'];
  if (d.title) lines.push(`  title ${text(d.title)}`);
  for (const p of d.participants) lines.push(`  participant ${p}`);
  for (const a of balanced(d.arrows)) {
    const arrow = a.act === '-' ? '-->>' : '->>';
    lines.push(`  ${a.from}${arrow}${a.act}${a.to}: ${labelLines(a.label).map(text).join('<br/>')}`);
  }
  return `${lines.join('\n')}\n`;
}
