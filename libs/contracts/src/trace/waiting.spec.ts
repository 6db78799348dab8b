import { waiting, type Entry } from './index.js';

const e = (from: string, act: Entry['act'], to: string, label: string, node?: string): Entry =>
  ({ op: 'o', from, to, act, label, ts: '2026-11-26T00:00:00.000Z', via: 'x', ...(node ? { node } : {}) }) as Entry;

describe('waiting: what a running operation waits on', () => {
  test('the arrows opened and not yet returned, outermost first', () => {
    const open = waiting([
      e('DevOps', '', 'AO', 'request\\nupdate'),
      e('AO', '+', 'VIM', 'activate virtual host', 'n1'),
      e('VIM', '+', 'VNF', 'create virtual host', 'n1'),
      e('VNF', '-', 'VIM', ''),
      e('VIM', '+', 'VNF', 'start virtual host', 'n1'),
    ]);
    expect(open.map((o) => o.label)).toEqual(['activate virtual host', 'start virtual host']);
  });

  test('nothing once every arrow returned', () => {
    expect(
      waiting([
        e('AO', '+', 'VNFM', 'scale-out cluster'),
        e('VNFM', '+', 'VNF', 'reconfigure cluster'),
        e('VNF', '-', 'VNFM', ''),
        e('VNFM', '-', 'AO', 'notify'),
      ]),
    ).toEqual([]);
  });

  test('a request sent again after a crash replaces the attempt before it and what that left open', () => {
    const open = waiting([
      e('AO', '+', 'VNFM', 'activate application', 'n2'),
      e('VNFM', '+', 'VNF', 'start application', 'n2'), // the VNFM died here
      e('AO', '+', 'VNFM', 'activate application', 'n2'),
      e('VNFM', '+', 'VNF', 'create application', 'n2'),
    ]);
    expect(open.map((o) => `${o.from}->${o.to}: ${o.label}`)).toEqual(['AO->VNFM: activate application', 'VNFM->VNF: create application']);
  });
});
