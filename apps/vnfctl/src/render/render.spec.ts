import { execFileSync } from 'node:child_process';
import { Trace } from '@vnf-lcm/contracts';
import { ARROW } from './diagram.js';
import { renderMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';
import { parseWsd, renderWsd } from './wsd.js';

const entry = (from: string, act: '+' | '-' | '', to: string, label: string) => ({ op: 'o', from, to, act, label, ts: '', via: '' }) as Trace.Entry;
/** a small deployment as the AO renders it, with a reply sent twice (after a crash) */
const ENTRIES = [
  entry('DevOps', '+', 'AO', 'request\\nupdate'),
  entry('AO', '+', 'VIM', 'activate virtual host'),
  entry('VIM', '-', 'AO', 'activate virtual host'),
  entry('VIM', '-', 'AO', 'activate virtual host'),
  entry('AO', '', 'AO', 'choose <zone> & "node"'),
  entry('AO', '+', 'VNFM', 'activate application; #1'),
  entry('VNFM', '+', 'VNF', 'start application'),
  entry('VNF', '-', 'VNFM', 'started'),
  entry('AO', '-', 'DevOps', 'notify\\nCOMPLETED'),
];
const WSD = Trace.render(ENTRIES, 'deployment web op-1');

test('wsd: read back from Trace.render and written again, line for line the same', () => {
  const d = parseWsd(WSD);
  expect(d.title).toBe('deployment web op-1');
  expect(d.participants).toEqual(['DevOps', 'AO', 'VIM', 'VNFM', 'VNF']);
  expect(d.arrows).toHaveLength(ENTRIES.length);
  expect(d.arrows[0]).toEqual({ from: 'DevOps', act: '+', to: 'AO', label: 'request\\nupdate' });
  expect(d.arrows[4]).toEqual({ from: 'AO', act: '', to: 'AO', label: 'choose <zone> & "node"' });
  expect(renderWsd(d)).toBe(WSD);
});

test('mermaid: a sequenceDiagram with one message per arrow, calls ->> and returns -->>, activations +/- balanced', () => {
  const m = renderMermaid(parseWsd(WSD));
  const lines = m.trimEnd().split('\n');
  expect(lines[0]).toBe('sequenceDiagram');
  const msgs = lines.filter((l) => /^\s+\S+?-?->>[+-]?\S+: /.test(l));
  expect(msgs).toHaveLength(ENTRIES.length);
  expect(msgs[0].trim()).toBe('DevOps->>+AO: request<br/>update');
  expect(msgs[2].trim()).toBe('VIM-->>-AO: activate virtual host');
  // the second reply finds nothing open on VIM: a plain return, which mermaid accepts
  expect(msgs[3].trim()).toBe('VIM->>AO: activate virtual host');
  expect(msgs[5].trim()).toBe('AO->>+VNFM: activate application#59; #35;1');
  // every - closes a + opened before it on the same participant
  const open = new Map<string, number>();
  for (const l of msgs) {
    const [, from, act, to] = /^\s+(\S+?)-?->>([+-]?)([^:]+):/.exec(l)!;
    if (act === '+') open.set(to, (open.get(to) ?? 0) + 1);
    if (act === '-') {
      expect(open.get(from)).toBeGreaterThan(0);
      open.set(from, open.get(from)! - 1);
    }
  }
});

test('svg: well-formed XML with a lifeline per participant, an arrow per message and activation bars', () => {
  const svg = renderSvg(parseWsd(WSD));
  // python's XML parser (as in the integration test): it raises on anything not well-formed
  const counts = execFileSync(
    'python3',
    [
      '-c',
      'import sys,xml.etree.ElementTree as E;r=E.fromstring(sys.stdin.read());n="{http://www.w3.org/2000/svg}";c=lambda k:sum(1 for e in r.iter() if k in (e.get("class") or "").split());print(c("arrow"),c("lifeline"),c("activation"),c("reply"))',
    ],
    { input: svg, encoding: 'utf8' },
  )
    .trim()
    .split(' ')
    .map(Number);
  // 4 opened (DevOps->+AO, AO->+VIM, AO->+VNFM, VNFM->+VNF), 3 closed: AO->+VNFM's bar runs to the end
  expect(counts).toEqual([ENTRIES.length, 5, 4, 3]);
  expect(svg).toContain('choose &lt;zone&gt; &amp; &quot;node&quot;');
  expect(svg).not.toMatch(/<script|href="http/);
  expect(svg.match(/<path class="arrow/g)).toHaveLength(1);
});

test('the arrow pattern takes each rendered arrow line and no other line', () => {
  const lines = WSD.split('\n');
  expect(lines.filter((l) => ARROW.test(l))).toHaveLength(ENTRIES.length);
});
