import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/system.js';
import { diagram, fits, withoutRepeats } from './support/seqcheck.js';

const ok = [
  'DevOps->AO: request scale-out',
  'AO->+VIM: activate virtual host',
  'VIM->+VNF: create virtual host',
  'VNF->-VIM:',
  'VIM->+VNF: start virtual host',
  'VNF->-VIM:',
  'VIM->-AO: notify',
  'AO->DevOps: notify',
  'AO->+VNFM: activate application',
  'VNFM->+VNF: create application',
  'VNF->-VNFM:',
  'VNFM->+VNF: start application',
  'VNF->-VNFM:',
  'VNFM->-AO: notify',
  'AO->DevOps: notify',
  'AO->+VNFM: scale-out cluster',
  'VNFM->+VNF: reconfigure cluster\\n(add node to cluster)',
  'VNF->-VNFM:',
  'VNFM->-AO: notify',
  'AO->DevOps: notify',
  'AO->DevOps: notify',
];
const text = (l: string[]) => `${l.join('\n')}\n`;

describe('the TypeScript diagram check', () => {
  test('accepts a run of the diagram, with the VNFM as requester and the closing notify to it', () => {
    expect(fits(diagram('scale-out'), text(ok)).ok).toBe(true);
    const byVnfm = ['VNFM->AO: request scale-out', ...ok.slice(1), 'AO->VNFM: notify'];
    expect(fits(diagram('scale-out'), text(byVnfm)).ok).toBe(true);
  });

  test('refuses a missing arrow, a wrong label and a wrong activation', () => {
    expect(fits(diagram('scale-out'), text(ok.filter((_, i) => i !== 3)))).toMatchObject({ ok: false, at: 4 });
    expect(fits(diagram('scale-out'), text(ok.map((l) => l.replace('start application', 'run application')))).ok).toBe(false);
    expect(fits(diagram('scale-out'), text(ok.map((l) => l.replace('VIM->-AO', 'VIM->AO')))).ok).toBe(false);
  });

  test('withoutRepeats: a request sent again after its sender died counts once', () => {
    // the AO died after the VIM had made the host; the new AO asked again, the VIM had it already
    const retried = [...ok.slice(0, 6), 'AO->+VIM: activate virtual host', ...ok.slice(6)];
    expect(fits(diagram('scale-out'), text(retried)).ok).toBe(false);
    expect(fits(diagram('scale-out'), withoutRepeats(text(retried))).ok).toBe(true);
  });

  test('withoutRepeats: a receiver that died mid-step and did it all again counts once', () => {
    // the VNFM died during start application; the AO asked again and the new VNFM did both steps
    const redone = [...ok.slice(0, 12), 'AO->+VNFM: activate application', ...ok.slice(9)];
    expect(fits(diagram('scale-out'), withoutRepeats(text(redone))).ok).toBe(true);
    // and a genuinely missing step is still caught
    expect(fits(diagram('scale-out'), withoutRepeats(text(redone.filter((l) => !l.includes('scale-out cluster'))))).ok).toBe(false);
  });
});

/** Real traces of operations whose orchestrator or VNFM was killed -9 (from test/chaos). */
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/traces', `${name}.wsd`), 'utf8');

describe('withoutRepeats on traces of real crashes', () => {
  test.each([
    ['orc-in', 'scale-in'],
    ['orc-in4', 'scale-in'],
    ['orc-mig', 'migrate'],
    ['vnfm-in', 'scale-in'],
    // the VIM died during create virtual host; the new one answered the repeat with the host
    // made (create) and started its agent (start)
    ['vim-heal-create', 'healing'],
    // nats-server killed during an upgrade's `remove old virtual host`: the AO asked twice more,
    // the VIM did the removal again, and an arrow of its first attempt was stored after the repeats
    ['nats-upg', 'upgrade'],
  ])('%s fits %s once its repeats are removed, and not before', (name, algorithm) => {
    expect(fits(diagram(algorithm), fixture(name)).ok).toBe(false);
    expect(fits(diagram(algorithm), withoutRepeats(fixture(name)))).toMatchObject({ ok: true });
  });

  test('a start the VIM never finished is still caught (the bug that trace shows was fixed in the VIM)', () => {
    expect(fits(diagram('healing'), withoutRepeats(fixture('vim-heal'))).ok).toBe(false);
  });
});
