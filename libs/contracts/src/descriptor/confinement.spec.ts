import { appIssues, cwdProblem, descriptorAppIssues, envNameProblem, FORBIDDEN_APP_ENV, isInsideRoot, parseAppRoots } from './confinement.js';
import { DescriptorError, parseDescriptor } from './validate.js';
import type { VnfDescriptor } from './types.js';

const ROOTS = ['/srv/vnf', '/opt/apps'];

describe('parseAppRoots', () => {
  test('keeps absolute folders, normalised, once each', () => {
    expect(parseAppRoots('/srv/vnf/:/opt//apps:/srv/vnf:/srv/x/../y').roots).toEqual(['/srv/vnf', '/opt/apps', '/srv/y']);
  });

  test('ignores relative entries and the filesystem root, saying why', () => {
    const r = parseAppRoots('examples:/:/srv/vnf:./apps:/..:');
    expect(r.roots).toEqual(['/srv/vnf']);
    expect(r.ignored).toEqual([
      { root: 'examples', reason: 'not an absolute path' },
      { root: '/', reason: 'the filesystem root confines nothing' },
      { root: './apps', reason: 'not an absolute path' },
      { root: '/..', reason: 'the filesystem root confines nothing' },
    ]);
  });

  test('unset or empty: no roots', () => {
    expect(parseAppRoots(undefined)).toEqual({ roots: [], ignored: [] });
    expect(parseAppRoots(' : ')).toEqual({ roots: [], ignored: [] });
  });
});

describe('cwdProblem', () => {
  test.each([undefined, '.', 'apps', 'apps/v2', './apps', 'a..b', '/srv/vnf', '/srv/vnf/', '/srv/vnf/web/apps', '/opt/apps/x/../y', '/srv/vnf/./web'])(
    '%j is allowed',
    (cwd) => expect(cwdProblem(cwd, ROOTS)).toBeUndefined(),
  );

  test.each([
    ['../../../../etc', /may not contain '\.\.'/],
    ['apps/../../x', /may not contain '\.\.'/],
    ['..', /may not contain '\.\.'/],
    ['/', /outside every application root \(VNF_APP_ROOTS: \/srv\/vnf:\/opt\/apps\)/],
    ['/etc', /outside every application root/],
    ['/srv/vnf-other', /outside every application root/],
    ['/srv', /outside every application root/],
    ['/srv/vnf/../../etc', /outside every application root/],
    ['//etc', /outside every application root/],
  ])('%j is refused: %s', (cwd, message) => {
    expect(cwdProblem(cwd, ROOTS)).toMatch(message);
  });

  test('without roots only relative folders pass, and the answer says to set VNF_APP_ROOTS', () => {
    expect(cwdProblem('apps', [])).toBeUndefined();
    expect(cwdProblem('/srv/vnf', [])).toMatch(/no application root is configured; set VNF_APP_ROOTS/);
  });

  test('a root given as relative confines nothing: its folder is refused too', () => {
    const { roots } = parseAppRoots('examples');
    expect(cwdProblem(`${process.cwd()}/examples/apps`, roots)).toMatch(/set VNF_APP_ROOTS/);
  });

  test('isInsideRoot compares whole path segments', () => {
    expect(isInsideRoot('/srv/vnf/a', '/srv/vnf')).toBe(true);
    expect(isInsideRoot('/srv/vnfx', '/srv/vnf')).toBe(false);
  });
});

describe('envNameProblem', () => {
  test.each(['PORT', 'NODE_ENV', 'BACKEND_UNHEALTHY', '_private', 'path', 'log_level', 'Vnf_mode'])('%s may be set', (name) => {
    expect(envNameProblem(name)).toBeUndefined();
  });

  test.each([
    ['NODE_OPTIONS', /NODE_OPTIONS is reserved/],
    ['LD_PRELOAD', /LD_\* is reserved/],
    ['LD_LIBRARY_PATH', /LD_\* is reserved/],
    ['DYLD_INSERT_LIBRARIES', /DYLD_\*/],
    ['VNF_NODE', /VNF_\*/],
    ['NATS_URL', /NATS_\*/],
    ['MALLOC_CHECK_', /MALLOC_\*/],
    ['PATH', /PATH is reserved/],
    ['BASH_ENV', /BASH_ENV/],
    ['JAVA_TOOL_OPTIONS', /JAVA_TOOL_OPTIONS/],
    ['GLIBC_TUNABLES', /GLIBC_TUNABLES/],
    ['1ABC', /must match/],
    ['A-B', /must match/],
    ['', /must match/],
    ['BASH_FUNC_x%%', /must match/],
  ])('%j is refused: %s', (name, message) => {
    expect(envNameProblem(name)).toMatch(message);
  });

  test('every name of the brief is in the published list or matched by one of its prefixes', () => {
    for (const name of ['NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'ENV', 'IFS', 'SHELLOPTS', 'PS4', 'GCONV_PATH', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'RUBYOPT', 'RUBYLIB', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS'])
      expect(envNameProblem(name)).toMatch(/is reserved/);
    expect(FORBIDDEN_APP_ENV).toEqual(expect.arrayContaining(['VNF_*', 'NATS_*', 'LD_*', 'DYLD_*', 'MALLOC_*', 'NODE_OPTIONS']));
  });
});

describe('application issues name their field', () => {
  test('cwd and each refused variable, as JSON pointers', () => {
    expect(appIssues({ cwd: '/etc', env: { PORT: '1', NODE_OPTIONS: '--require /tmp/x.js', 'a/b': 'x' } }, '/clusters/1/app', ROOTS).map((i) => i.field)).toEqual([
      '/clusters/1/app/cwd',
      '/clusters/1/app/env/NODE_OPTIONS',
      '/clusters/1/app/env/a~1b',
    ]);
  });

  const app = { version: 'v1', command: 'node', port: 8080 };
  const d: VnfDescriptor = {
    name: 'v',
    clusters: [
      { name: 'a', nodes: 1, app: { ...app, cwd: '/srv/vnf/a' }, versions: [{ ...app, version: 'v2', cwd: '../../../../etc' }] },
      { name: 'b', nodes: 1, app: { ...app, env: { LD_PRELOAD: '/tmp/x.so' } } },
    ],
  };

  test('in every cluster, its app and its versions', () => {
    expect(descriptorAppIssues(d, ROOTS)).toEqual([
      { field: '/clusters/0/versions/0/cwd', message: expect.stringMatching(/may not contain '\.\.'/) },
      { field: '/clusters/1/app/env/LD_PRELOAD', message: expect.stringMatching(/LD_\* is reserved/) },
    ]);
  });

  test('parseDescriptor applies them when given the policy, with the other problems', () => {
    expect(() => parseDescriptor(d)).not.toThrow();
    let err: unknown;
    try {
      parseDescriptor(d, { appRoots: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DescriptorError);
    expect((err as DescriptorError).issues.map((i) => i.field)).toEqual(['/clusters/0/app/cwd', '/clusters/0/versions/0/cwd', '/clusters/1/app/env/LD_PRELOAD']);
    expect((err as DescriptorError).message).toMatch(/\/clusters\/0\/app\/cwd: absolute cwd \/srv\/vnf\/a is refused: .*set VNF_APP_ROOTS/);
  });
});
