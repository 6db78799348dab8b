import type { Descriptor, Records } from '@vnf-lcm/contracts';

const W = 150;
const H = 44;
const GAP_X = 90;
const GAP_Y = 16;

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A VNF's clusters as boxes, an arrow from each client cluster to each cluster it depends on.
 * Columns by depth: a cluster stands one column left of the furthest cluster it depends on, so
 * that every arrow points right, towards what is deployed first.
 */
export function clusterGraph(clusters: Descriptor.ClusterSpec[], nodes: Record<string, Records.NodeRecord[]>): string {
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen = new Set<string>()): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (seen.has(name)) return 0; // a cycle: the AO refuses those; draw it all the same
    seen.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const d = deps.length ? 1 + Math.max(...deps.map((x) => depthOf(x, seen))) : 0;
    depth.set(name, d);
    return d;
  };
  clusters.forEach((c) => depthOf(c.name));
  const max = Math.max(0, ...depth.values());
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const c of clusters) {
    const col = max - depth.get(c.name)!;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    at.set(c.name, { x: 10 + col * (W + GAP_X), y: 10 + row * (H + GAP_Y) });
  }
  const width = 20 + (max + 1) * W + max * GAP_X;
  const height = 20 + Math.max(1, ...rows.values()) * (H + GAP_Y) - GAP_Y;
  const boxes = clusters.map((c) => {
    const p = at.get(c.name)!;
    const n = nodes[c.name]?.length ?? 0;
    return `<g class="cluster" data-cluster="${esc(c.name)}"><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="4"/><text x="${p.x + W / 2}" y="${p.y + 18}" text-anchor="middle" font-weight="bold">${esc(c.name)}</text><text x="${p.x + W / 2}" y="${p.y + 35}" text-anchor="middle" font-size="11">${n} node${n === 1 ? '' : 's'}, ${esc(c.app.version)}</text></g>`;
  });
  const arrows = clusters.flatMap((c) =>
    (c.dependsOn ?? [])
      .filter((d) => at.has(d))
      .map((d) => {
        const a = at.get(c.name)!;
        const b = at.get(d)!;
        return `<line class="depends" data-from="${esc(c.name)}" data-to="${esc(d)}" x1="${a.x + W}" y1="${a.y + H / 2}" x2="${b.x}" y2="${b.y + H / 2}" marker-end="url(#dep-head)"><title>${esc(c.name)} depends on ${esc(d)}</title></line>`;
      }),
  );
  return `<svg class="clusters" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12"><defs><marker id="dep-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>${arrows.join('')}${boxes.join('')}</svg>`;
}
