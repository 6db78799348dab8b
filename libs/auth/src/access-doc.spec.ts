import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Access } from '@vnf-lcm/contracts';
import { accessTable, withAccessTable } from './access-doc.js';
import { permissionsOf } from './permissions.js';

// jest runs from the repository's root
const doc = () => readFileSync(join(process.cwd(), 'docs/security.md'), 'utf8');

describe('the access table', () => {
  test('docs/security.md shows it as the code has it (npm run docs:security rewrites it)', () => {
    expect(withAccessTable(doc())).toBe(doc());
    expect(doc()).toContain(accessTable());
  });

  test('only the admin may purge, delete or update a stream; nobody else has a wildcard over JetStream', () => {
    for (const role of Object.values(Access.Role)) {
      if (role === Access.Role.admin) continue;
      const pub = permissionsOf(role).pub!.allow!;
      expect(pub.filter((s: string) => /PURGE|\.DELETE\.(?!.*CONSUMER)|STREAM\.UPDATE|MSG\.DELETE/.test(s) && !s.includes('CONSUMER'))).toEqual([]);
      expect(pub).not.toContain('>');
      expect(pub.filter((s: string) => s.startsWith('$JS') && /[>*]$/.test(s) && !/\.(KV_|VNF_)[A-Za-z_-]+\.>$/.test(s))).toEqual([]);
    }
  });

  test('an agent speaks only on its own node subjects, and only DevOps and the VNFM may ask the AO for changes', () => {
    const agent = permissionsOf(Access.Role.agent);
    expect(agent.pub!.allow!.every((s) => s.endsWith(`.${Access.NODE}`))).toBe(true);
    expect(agent.sub!.allow!.every((s) => s.includes(Access.NODE))).toBe(true);
    const asksForChange = (role: Access.Role) => permissionsOf(role).pub!.allow!.some((s) => /^vnf\.ao\.(deploy|scale-|heal|upgrade|migrate)/.test(s));
    expect(Object.values(Access.Role).filter(asksForChange).sort()).toEqual([Access.Role.devops, Access.Role.vnfm].sort());
  });

  test('internal replies never pass _INBOX.>, which DevOps and observers may read', () => {
    for (const role of [Access.Role.orchestrator, Access.Role.vnfm, Access.Role.vimAdapter]) {
      const prefix = Access.inboxPrefix(role)!;
      expect(prefix.startsWith('_INBOX.')).toBe(false);
      expect(permissionsOf(role).sub!.allow).toContain(`${prefix}.>`);
    }
  });
});
