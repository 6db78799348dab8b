import { inReadingOrder, waiting, type Entry } from './index.js';

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

/** an entry with its step reference, as every service records them now */
const s = (from: string, act: Entry['act'], to: string, label: string, step: string): Entry =>
  ({ op: 'o', from, to, act, label, ts: '2026-11-26T00:00:00.000Z', via: 'x', step }) as Entry;

describe('waiting, told by step: steps that run beside each other', () => {
  test('a return closes its own step, not the newest activation of the same pair', () => {
    const open = waiting([
      s('AO', '+', 'VIM', 'activate virtual host', 'o/web/1/host'),
      s('AO', '+', 'VIM', 'activate virtual host', 'o/web/2/host'),
      s('VIM', '+', 'VNF', 'create virtual host', 'o/web/2/host/create'),
      s('VIM', '-', 'AO', 'notify', 'o/web/1/host'),
    ]);
    expect(open.map((o) => o.step)).toEqual(['o/web/2/host', 'o/web/2/host/create']);
  });

  test('a step sent again replaces its attempt and its parts, and leaves the other steps open', () => {
    const open = waiting([
      s('AO', '+', 'VIM', 'activate virtual host', 'o/web/1/host'),
      s('VIM', '+', 'VNF', 'start virtual host', 'o/web/1/host/start'),
      s('AO', '+', 'VIM', 'activate virtual host', 'o/web/2/host'),
      s('AO', '+', 'VIM', 'activate virtual host', 'o/web/1/host'),
    ]);
    expect(open.map((o) => o.step)).toEqual(['o/web/2/host', 'o/web/1/host']);
  });
});

describe('inReadingOrder: a step started ahead is read where the saga took it', () => {
  const ahead = [
    s('AO', '+', 'VIM', 'activate virtual host', 'o/web/1/host'),
    s('AO', '+', 'VIM', 'activate virtual host', 'o/web/2/host'),
    s('VIM', '+', 'VNF', 'create virtual host', 'o/web/1/host/create'),
    s('VIM', '+', 'VNF', 'create virtual host', 'o/web/2/host/create'),
    s('VNF', '-', 'VIM', '', 'o/web/2/host/create'),
    s('VNF', '-', 'VIM', '', 'o/web/1/host/create'),
    s('VIM', '-', 'AO', 'notify', 'o/web/1/host'),
    s('VIM', '-', 'AO', 'notify', 'o/web/2/host'),
    { ...s('AO', '', 'AO', '', 'o/web/1/host'), place: 'o/web/1/host' },
    s('AO', '+', 'VNFM', 'activate application', 'o/web/1/app'),
    s('VNFM', '-', 'AO', 'notify', 'o/web/1/app'),
    { ...s('AO', '', 'AO', '', 'o/web/2/host'), place: 'o/web/2/host' },
    { ...s('AO', '', 'AO', '', 'o/web/2/host'), place: 'o/web/2/host' },
    s('AO', '+', 'VNFM', 'activate application', 'o/web/2/app'),
  ];
  const read = (es: Entry[]) => inReadingOrder(es).map((e) => `${e.from}->${e.act}${e.to} ${e.step}`);

  test('each block whole, in the order placed, placements themselves not drawn, a second placement ignored', () => {
    expect(read(ahead)).toEqual([
      'AO->+VIM o/web/1/host',
      'VIM->+VNF o/web/1/host/create',
      'VNF->-VIM o/web/1/host/create',
      'VIM->-AO o/web/1/host',
      'AO->+VNFM o/web/1/app',
      'VNFM->-AO o/web/1/app',
      'AO->+VIM o/web/2/host',
      'VIM->+VNF o/web/2/host/create',
      'VNF->-VIM o/web/2/host/create',
      'VIM->-AO o/web/2/host',
      'AO->+VNFM o/web/2/app',
    ]);
  });

  test('a step never placed (the operation stopped first) stays where it was recorded', () => {
    const unplaced = ahead.filter((e) => e.place !== 'o/web/2/host');
    expect(read(unplaced).slice(0, 2)).toEqual(['AO->+VIM o/web/2/host', 'VIM->+VNF o/web/2/host/create']);
  });

  test('o/web/1 does not take o/web/10 with it', () => {
    const es = [s('AO', '+', 'VIM', 'x', 'o/web/10/host'), s('AO', '+', 'VIM', 'x', 'o/web/1/host'), { ...s('AO', '', 'AO', '', 'x'), place: 'o/web/1/host' }];
    expect(read(es)).toEqual(['AO->+VIM o/web/10/host', 'AO->+VIM o/web/1/host']);
  });
});
