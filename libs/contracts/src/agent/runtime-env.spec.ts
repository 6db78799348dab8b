import { parkRuntimeEnv, restoreRuntimeEnv, RuntimeEnv } from './runtime-env.js';

const P = RuntimeEnv.prefix;

test("the VIM moves Node.js's and OpenSSL's variables out of the agent's way, and nothing else", () => {
  const parked = parkRuntimeEnv({
    NODE_OPTIONS: '--max-old-space-size=64',
    NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    OPENSSL_CONF: '/etc/ssl/other.cnf',
    SSL_CERT_FILE: '/etc/ssl/bundle.pem',
    PATH: '/usr/bin',
    HOME: '/h',
    VNODE_X: 'y',
    SSL_VERSION: '3',
  });
  expect(parked).toEqual({
    [`${P}NODE_OPTIONS`]: '--max-old-space-size=64',
    [`${P}NODE_EXTRA_CA_CERTS`]: '/etc/ca.pem',
    [`${P}OPENSSL_CONF`]: '/etc/ssl/other.cnf',
    [`${P}SSL_CERT_FILE`]: '/etc/ssl/bundle.pem',
    PATH: '/usr/bin',
    HOME: '/h',
    VNODE_X: 'y',
    SSL_VERSION: '3',
  });
});

test('the application gets back what the VIM had, exactly', () => {
  const vim = { NODE_OPTIONS: '--enable-source-maps', NODE_ENV: 'production', SSL_CERT_DIR: '/etc/ssl/certs', PATH: '/usr/bin', LANG: 'C' };
  expect(restoreRuntimeEnv(parkRuntimeEnv(vim))).toEqual(vim);
});

test("a prefixed name that is not Node.js's is dropped, and one set in the VIM's environment is not taken as moved", () => {
  // what the VIM had under the prefix itself would otherwise come back as a NODE_ variable
  expect(parkRuntimeEnv({ [`${P}NODE_OPTIONS`]: '--require=/tmp/x.js', PATH: '/bin' })).toEqual({ PATH: '/bin' });
  expect(restoreRuntimeEnv({ [`${P}LD_PRELOAD`]: '/tmp/x.so', PATH: '/bin' })).toEqual({ PATH: '/bin' });
});

test("an agent started by hand, with Node.js's variables of its own, hands them on as they are", () => {
  expect(restoreRuntimeEnv({ NODE_OPTIONS: '--enable-source-maps', PATH: '/bin' })).toEqual({ NODE_OPTIONS: '--enable-source-maps', PATH: '/bin' });
});
