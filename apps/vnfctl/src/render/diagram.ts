/**
 * An operation's sequence diagram as vnfctl gets it: the AO renders the trace as
 * websequencediagrams text (Trace.render), and the other formats are drawn from that text, so
 * that every format shows the same arrows in the same order.
 */
export interface Arrow {
  from: string;
  to: string;
  /** `+` opens an activation of `to`, `-` closes the sender's (as in wsd) */
  act: '+' | '-' | '';
  /** as in wsd: a line break is the two characters `\n` */
  label: string;
}

export interface Diagram {
  title: string;
  /** in the order declared, then any an arrow names first */
  participants: string[];
  arrows: Arrow[];
}

/** an arrow line of Trace.render: `AO->+VIM: activate virtual host` */
export const ARROW = /^([^\s:>+-][^\s:>]*?)->([+-]?)([^\s:]+):\s?(.*)$/;

/** The lines of a label (`\n` in wsd text is a line break). */
export const labelLines = (label: string): string[] => label.split('\\n');

/**
 * Which arrows really close an activation: a `-` whose sender has none open (a reply sent again
 * after a crash, a trace that starts mid-way) is drawn as a plain arrow, as mermaid refuses it.
 */
export function balanced(arrows: Arrow[]): Arrow[] {
  const open = new Map<string, number>();
  return arrows.map((a) => {
    if (a.act === '+') open.set(a.to, (open.get(a.to) ?? 0) + 1);
    if (a.act !== '-') return a;
    const n = open.get(a.from) ?? 0;
    if (n === 0) return { ...a, act: '' };
    open.set(a.from, n - 1);
    return a;
  });
}
