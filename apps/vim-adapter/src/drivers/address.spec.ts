import { lowestFree, parseCidr } from './address.js';

test('parseCidr normalises the base and refuses what is not a cidr', () => {
  expect(parseCidr('127.32.5.9/16')).toMatchObject({ first: parseCidr('127.32.0.0/32')!.first, last: parseCidr('127.32.255.255/32')!.first });
  expect(parseCidr('127.32.0.0')).toBeUndefined();
  expect(parseCidr('127.300.0.0/16')).toBeUndefined();
  expect(parseCidr('127.0.0.0/33')).toBeUndefined();
});

test('lowestFree skips .0, .255 and addresses in use', () => {
  const r = parseCidr('127.32.0.0/16')!;
  expect(lowestFree(r, [])).toBe('127.32.0.1');
  expect(lowestFree(r, ['127.32.0.1', '127.32.0.3'])).toBe('127.32.0.2');
  const taken = Array.from({ length: 254 }, (_, i) => `127.32.0.${i + 1}`);
  expect(lowestFree(r, taken)).toBe('127.32.1.1');
});

test('a full range has no free address', () => {
  const r = parseCidr('127.33.0.0/30')!; // .0 .. .3, of which .1 .. .3 are usable
  expect(lowestFree(r, ['127.33.0.1', '127.33.0.2', '127.33.0.3'])).toBeUndefined();
});
