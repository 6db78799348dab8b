import { Inject, Injectable } from '@nestjs/common';
import { Bus, rpcError, toErrorBody } from '@vnf-lcm/bus';
import { Participant, Vim } from '@vnf-lcm/contracts';

/** A zone a request names that no VIM adapter's configuration has, with the field that names it. */
export interface ZoneIssue {
  field: string;
  message: string;
}

/**
 * The zones the VIM adapters know (ADR 26): any adapter answers, as they all read the same zones.
 * Asked when a request names zones (deploy, migrate) and for the default zone, which deployment
 * writes into the record of a cluster that names none, so that its nodes never move with a
 * change of default.
 */
@Injectable()
export class VimZones {
  constructor(@Inject(Bus) private readonly bus: Bus) {}

  async list(): Promise<Vim.ZoneListReply> {
    // no label: a read, not part of any operation's trace. No adapter (the VIM down) is
    // `unavailable`, as any request to it would be
    return this.bus.call<Vim.ZoneListReply>(Participant.vim, Vim.ZONE_LIST, {}, { op: 'none', timeoutMs: 5000 }).catch((err: unknown) => {
      const e = toErrorBody(err);
      throw rpcError(e.err_code, e.description, e.details);
    });
  }

  /** Refuses, as not_found naming each field, the zones that are none of the VIM's. */
  async check(named: { field: string; zone: string }[]): Promise<Vim.ZoneListReply> {
    const z = await this.list();
    const issues: ZoneIssue[] = named.filter((n) => !z.zones.includes(n.zone)).map((n) => ({ field: n.field, message: `unknown zone ${n.zone}` }));
    if (issues.length > 0) throw rpcError('not_found', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues, zones: z.zones });
    return z;
  }
}
