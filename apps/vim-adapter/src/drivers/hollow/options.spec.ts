import { ConfigError } from '../../config.js';
import { checkHollowZone } from './options.js';

test('a hollow zone needs a range and takes no other option', () => {
  // the hollow agents' entry point is built by npm run build; unit specs run on the built tree
  const z = checkHollowZone({ name: 'hollow', driver: 'hollow', range: '127.69.192.0/18' });
  expect(z.range).toMatchObject({ first: 127 * 2 ** 24 + 69 * 2 ** 16 + 192 * 2 ** 8 });
  expect(z.hollowMain).toMatch(/apps\/vnf-agent\/dist\/hollow\.js$/);
  expect(() => checkHollowZone({ name: 'h', driver: 'hollow' })).toThrow(/"range" must be an IPv4 CIDR/);
  expect(() => checkHollowZone({ name: 'h', driver: 'hollow', range: '127.69.0.0/16', root: '/tmp' })).toThrow(ConfigError);
  expect(() => checkHollowZone({ name: 'h', driver: 'hollow', range: '127.69.0.0/16', root: '/tmp' })).toThrow(/unknown option\(s\) root for driver hollow/);
});
