import { formatRecord, parseLine } from './log-lines.js';

test("a service's pino line keeps its fields and its own service; one without gets the process's name", () => {
  const pino = '{"level":"info","time":"2026-12-01T17:00:00.123Z","service":"orchestrator","op":"o-1","msg":"operation started"}';
  expect(parseLine('orchestrator', pino, 'stdout')).toEqual(JSON.parse(pino));
  expect(parseLine('vnfm', '{"level":30,"time":1764608400123,"msg":"x"}', 'stdout')).toEqual({
    level: 'info',
    time: '2025-12-01T17:00:00.123Z',
    service: 'vnfm',
    msg: 'x',
  });
  expect(parseLine('vnfm', '{"level":"warn","service":"other","msg":"y"}', 'stdout').service).toBe('other');
});

test('any other line becomes the msg of a record: nats-server levels read, a stack trace on stderr at error', () => {
  expect(parseLine('nats', '[4242] 2026/12/01 17:00:00.123456 [WRN] slow consumer', 'stderr')).toMatchObject({
    level: 'warn',
    service: 'nats',
    msg: 'slow consumer',
  });
  expect(parseLine('vnfm', '    at Object.<anonymous> (/x/main.js:1:1)', 'stderr')).toMatchObject({
    level: 'error',
    service: 'vnfm',
    msg: '    at Object.<anonymous> (/x/main.js:1:1)',
  });
  expect(parseLine('vnfctl', 'operation o-1 COMPLETED in 2.00 s', 'stdout')).toMatchObject({ level: 'info', service: 'vnfctl' });
  expect(parseLine('vnfm', '{not json', 'stdout')).toMatchObject({ msg: '{not json' });
  expect(parseLine('vnfm', '[1,2]', 'stdout')).toMatchObject({ msg: '[1,2]' });
});

test('json: one parseable line with level, time, service first and msg last; text: time level service msg key=value', () => {
  const r = parseLine(
    'orchestrator',
    '{"level":"info","time":"2026-12-01T17:00:00.123Z","service":"orchestrator","pid":7,"op":"o-1","node":"web-backend-1","why":"a b","msg":"step done"}',
    'stdout',
  );
  const line = formatRecord(r, 'json');
  expect(Object.keys(JSON.parse(line))).toEqual(['level', 'time', 'service', 'pid', 'op', 'node', 'why', 'msg']);
  expect(formatRecord(r, 'text')).toBe('17:00:00.123 INFO  orchestrator step done op=o-1 node=web-backend-1 why="a b"');
});
