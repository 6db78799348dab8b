import type { HostInfo } from './drivers/driver.js';

interface Mark {
  since: number;
  /** a host created again under the same node id is another host: its mark starts over */
  createdAt: string;
  zone: string;
}

/** The hosts reconciliation found unowned, and since when; host-list reports them. */
export class Orphans {
  private readonly marks = new Map<string, Mark>();

  /**
   * Records one round's orphans of the zones listed in that round, and returns those seen for
   * the first time. A host of those zones that is no orphan any more (owned again, or gone)
   * loses its mark: an orphan's time counts only while it stays one. Marks in zones that could
   * not be listed stay as they are.
   */
  update(listed: Set<string>, orphans: HostInfo[], now: number): HostInfo[] {
    const current = new Map(orphans.map((h) => [h.node, h]));
    for (const [node, m] of this.marks) {
      const h = current.get(node);
      if (listed.has(m.zone) && (!h || h.createdAt !== m.createdAt)) this.marks.delete(node);
    }
    const fresh: HostInfo[] = [];
    for (const h of orphans) {
      if (this.marks.has(h.node)) continue;
      this.marks.set(h.node, { since: now, createdAt: h.createdAt, zone: h.zone });
      fresh.push(h);
    }
    return fresh;
  }

  /** When this host was first seen as an orphan, if it is one. */
  since(host: HostInfo): number | undefined {
    const m = this.marks.get(host.node);
    return m && m.createdAt === host.createdAt ? m.since : undefined;
  }

  forget(node: string): void {
    this.marks.delete(node);
  }

  /** The host as host-list shows it: with `orphan` and `orphanSince` when it is one. */
  show(host: HostInfo): HostInfo {
    const since = this.since(host);
    return since === undefined ? host : { ...host, orphan: true, orphanSince: new Date(since).toISOString() };
  }
}
