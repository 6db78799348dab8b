import { layout, sequenceSvg, type Arrow } from './sequence.js';

/** `A->+B: label` lines, as `vnfctl trace` prints them (Trace.render) */
const arrows = (text: string): Arrow[] =>
  text
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(\w+)->([+-]?)(\w+):\s*(.*)$/.exec(l.trim());
      if (!m) throw new Error(`not an arrow: ${l}`);
      return { from: m[1], act: m[2] as Arrow['act'], to: m[3], label: m[4] };
    });

/** one cluster of one node, as a deployment's trace records it (the seed with its loops unrolled once) */
const DEPLOY = arrows(String.raw`
DevOps->AO: request\nupdate
AO->+VNFM: activate cluster
VNFM->+VNF: create cluster
VNF->-VNFM:
VNFM->+VNF: start cluster
VNF->-VNFM:
VNFM->-AO: notify
AO->DevOps: notify
AO->+VIM: activate virtual host
VIM->+VNF: create virtual host
VNF->-VIM:
VIM->+VNF: start virtual host
VNF->-VIM:
VIM->-AO: notify
AO->DevOps: notify
AO->DevOps: notify
`);

const count = (svg: string, re: RegExp) => svg.match(re)?.length ?? 0;

describe('sequence diagram', () => {
  it('draws one arrow per trace entry, in order, top to bottom', () => {
    const svg = sequenceSvg(DEPLOY, 'Deployment');
    expect(count(svg, /<g class="arrow"/g)).toBe(DEPLOY.length);
    const ys = layout(DEPLOY).arrows.map((a) => a.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(new Set(ys).size).toBe(ys.length);
  });

  it("places the participants in the seeds' order, each with a box on top and at the bottom", () => {
    const l = layout(DEPLOY);
    expect(l.participants.map((p) => p.name)).toEqual(['DevOps', 'AO', 'VIM', 'VNFM', 'VNF']);
    const xs = l.participants.map((p) => p.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(count(sequenceSvg(DEPLOY), /<g class="participant"/g)).toBe(10);
  });

  it('opens a bar on + and closes it on the matching -, from the request to the return', () => {
    const l = layout(DEPLOY);
    expect(l.bars).toHaveLength(DEPLOY.filter((a) => a.act === '+').length);
    expect(l.bars.every((b) => !b.open)).toBe(true);
    // AO->+VNFM (arrow 1) to VNFM->-AO (arrow 6): the VNFM's bar spans them
    const vnfm = l.bars.find((b) => b.participant === 'VNFM')!;
    expect(vnfm.y1).toBe(l.arrows[1].y);
    expect(vnfm.y2).toBe(l.arrows[6].y);
  });

  it('draws arrows from and to the edges of the bars, pointing the right way', () => {
    const l = layout(DEPLOY);
    const vnfmX = l.participants.find((p) => p.name === 'VNFM')!.x;
    // VNFM->+VNF leaves the right edge of the VNFM's open bar, rightwards
    expect(l.arrows[2].x1).toBe(vnfmX + 5);
    expect(l.arrows[2].x2).toBeGreaterThan(l.arrows[2].x1);
    // VNF->-VNFM comes back leftwards
    expect(l.arrows[3].x2).toBeLessThan(l.arrows[3].x1);
  });

  it('keeps a bar open while the operation waits on it (a running trace)', () => {
    const l = layout(DEPLOY.slice(0, 3));
    expect(
      l.bars
        .filter((b) => b.open)
        .map((b) => b.participant)
        .sort(),
    ).toEqual(['VNF', 'VNFM']);
    expect(l.bars.every((b) => b.y2 === l.bottom)).toBe(true);
  });

  it('nests a second activation of the same participant to the right of the first', () => {
    const l = layout(arrows('AO->+VNFM: a\nVNFM->+VNFM: b\nVNFM->-VNFM:\nVNFM->-AO: notify'));
    const [inner, outer] = l.bars;
    expect(inner.x).toBeGreaterThan(outer.x);
    expect(l.arrows[1].self).toBe(true);
  });

  it('writes multi-line labels as lines and escapes what SVG would read as markup', () => {
    const svg = sequenceSvg(arrows(String.raw`VNFM->+VNF: reconfigure cluster\n(add <node> & more)`));
    expect(count(svg, /<tspan/g)).toBe(2);
    expect(svg).toContain('(add &lt;node&gt; &amp; more)');
    expect(svg).not.toContain('<node>');
  });

  it('draws an empty trace as the participants alone', () => {
    const svg = sequenceSvg([]);
    expect(count(svg, /<g class="arrow"/g)).toBe(0);
    expect(count(svg, /class="lifeline"/g)).toBe(5);
  });
});
