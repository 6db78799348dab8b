import { parkImageEnv, parkRuntimeEnv, restoreRuntimeEnv, RuntimeEnv } from './runtime-env.js';

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
  expect(restoreRuntimeEnv({ [`${P}PATH`]: '/tmp', [`${P}VNF_NODE`]: 'x', PATH: '/bin' })).toEqual({ PATH: '/bin' });
});

test("an agent started by hand, with Node.js's variables of its own, hands them on as they are", () => {
  expect(restoreRuntimeEnv({ NODE_OPTIONS: '--enable-source-maps', PATH: '/bin' })).toEqual({ NODE_OPTIONS: '--enable-source-maps', PATH: '/bin' });
});

test("an application image's runtime and loader variables are blanked for the agent and moved for the application", () => {
  const image = [
    'PATH=/usr/local/bin:/usr/bin',
    'NODE_OPTIONS=--require ./tracing.js',
    'LD_PRELOAD=/lib/x.so',
    'OPENSSL_CONF=/app/ssl.cnf',
    'NODE_ENV=production',
    'LANG=C.UTF-8',
    'GLIBC_TUNABLES',
  ];
  const added = parkImageEnv(image);
  expect(added).toEqual({
    NODE_OPTIONS: '',
    [`${P}NODE_OPTIONS`]: '--require ./tracing.js',
    LD_PRELOAD: '',
    [`${P}LD_PRELOAD`]: '/lib/x.so',
    OPENSSL_CONF: '',
    [`${P}OPENSSL_CONF`]: '/app/ssl.cnf',
    NODE_ENV: '',
    [`${P}NODE_ENV`]: 'production',
    GLIBC_TUNABLES: '',
    [`${P}GLIBC_TUNABLES`]: '',
  });
  expect(parkImageEnv(undefined)).toEqual({});
  // the container as Docker merges it (the container's entries over the image's), then the
  // application's environment as the agent gives it back
  const container = { ...Object.fromEntries(image.map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')])), ...added };
  expect(restoreRuntimeEnv(container)).toEqual({
    PATH: '/usr/local/bin:/usr/bin',
    NODE_OPTIONS: '--require ./tracing.js',
    LD_PRELOAD: '/lib/x.so',
    OPENSSL_CONF: '/app/ssl.cnf',
    NODE_ENV: 'production',
    LANG: 'C.UTF-8',
    GLIBC_TUNABLES: '',
  });
});
