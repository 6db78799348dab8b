import {
  appIssues,
  cwdProblem,
  declaredAppIssues,
  descriptorAppIssues,
  envNameProblem,
  FORBIDDEN_APP_ENV,
  imageCwdProblem,
  isInsideRoot,
  parseAppRoots,
} from './confinement.js';
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
    for (const name of [
      'NODE_PATH',
      'NODE_EXTRA_CA_CERTS',
      'NODE_TLS_REJECT_UNAUTHORIZED',
      'ENV',
      'IFS',
      'SHELLOPTS',
      'PS4',
      'GCONV_PATH',
      'PYTHONPATH',
      'PYTHONSTARTUP',
      'PYTHONHOME',
      'PERL5OPT',
      'PERL5LIB',
      'PERLLIB',
      'RUBYOPT',
      'RUBYLIB',
      '_JAVA_OPTIONS',
      'JDK_JAVA_OPTIONS',
    ])
      expect(envNameProblem(name)).toMatch(/is reserved/);
    expect(FORBIDDEN_APP_ENV).toEqual(expect.arrayContaining(['VNF_*', 'NATS_*', 'LD_*', 'DYLD_*', 'MALLOC_*', 'NODE_OPTIONS']));
  });
});

describe('application issues name their field', () => {
  test('cwd and each refused variable, as JSON pointers', () => {
    expect(
      appIssues({ cwd: '/etc', env: { PORT: '1', NODE_OPTIONS: '--require /tmp/x.js', 'a/b': 'x' } }, '/clusters/1/app', ROOTS).map((i) => i.field),
    ).toEqual(['/clusters/1/app/cwd', '/clusters/1/app/env/NODE_OPTIONS', '/clusters/1/app/env/a~1b']);
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
    expect((err as DescriptorError).issues.map((i) => i.field)).toEqual([
      '/clusters/0/app/cwd',
      '/clusters/0/versions/0/cwd',
      '/clusters/1/app/env/LD_PRELOAD',
    ]);
    expect((err as DescriptorError).message).toMatch(/\/clusters\/0\/app\/cwd: absolute cwd \/srv\/vnf\/a is refused: .*set VNF_APP_ROOTS/);
  });
});

describe('paths in an image (an app that names its image, or its docker block)', () => {
  const app = { version: 'v1', command: 'node', port: 8080 };
  const image = 'vnf-lcm/examples:latest';

  test('imageCwdProblem refuses only a relative cwd that climbs out', () => {
    for (const cwd of [undefined, '/srv/examples/apps', '/etc', '/', 'apps', './x']) expect(imageCwdProblem(cwd)).toBeUndefined();
    for (const cwd of ['..', '../x', 'a/../../b']) expect(imageCwdProblem(cwd)).toMatch(/may not contain '\.\.'/);
  });

  test("the absolute cwd of an app with an image is not checked against the orchestrator's roots", () => {
    expect(declaredAppIssues({ ...app, image, cwd: '/srv/examples/apps' }, '/app', ROOTS)).toEqual([]);
    expect(declaredAppIssues({ ...app, image, cwd: '/srv/examples/apps' }, '/app', [])).toEqual([]);
    // without an image it is a path on the machine, as before
    expect(declaredAppIssues({ ...app, cwd: '/srv/examples/apps' }, '/app', ROOTS)).toEqual([
      { field: '/app/cwd', message: expect.stringMatching(/outside every application root/) },
    ]);
  });

  test('a relative cwd with .. is refused with an image too, and so is a refused variable', () => {
    expect(declaredAppIssues({ ...app, image, cwd: '../../etc', env: { NODE_OPTIONS: '-r x', PORT: '1' } }, '/clusters/0/app', ROOTS)).toEqual([
      { field: '/clusters/0/app/cwd', message: expect.stringMatching(/may not contain '\.\.'/) },
      { field: '/clusters/0/app/env/NODE_OPTIONS', message: expect.stringMatching(/NODE_OPTIONS is reserved/) },
    ]);
  });

  test("with docker.cwd, cwd is the machine's path (checked against the roots) and docker.cwd the image's", () => {
    expect(declaredAppIssues({ ...app, image, cwd: '/srv/vnf/web', docker: { cwd: '/srv/examples/apps' } }, '/app', ROOTS)).toEqual([]);
    expect(declaredAppIssues({ ...app, image, cwd: '/etc', docker: { cwd: '/srv/examples/apps' } }, '/app', ROOTS)).toEqual([
      { field: '/app/cwd', message: expect.stringMatching(/outside every application root/) },
    ]);
    // no image: docker.cwd is a path in the zone's image, all the same
    expect(declaredAppIssues({ ...app, cwd: '/srv/vnf/web', docker: { cwd: '/opt/anything' } }, '/app', ROOTS)).toEqual([]);
    expect(declaredAppIssues({ ...app, docker: { cwd: 'x/../..' } }, '/app', ROOTS)).toEqual([
      { field: '/app/docker/cwd', message: expect.stringMatching(/may not contain '\.\.'/) },
    ]);
  });

  test("a host's own check (the agent's) takes every absolute cwd as a path on that host, image or not", () => {
    expect(appIssues({ ...app, image, cwd: '/etc' } as never, '/app', ROOTS).map((i) => i.field)).toEqual(['/app/cwd']);
    expect(appIssues({ ...app, image, cwd: '/srv/vnf/x' } as never, '/app', ROOTS)).toEqual([]);
  });

  test('parseDescriptor with the policy accepts a cluster whose app cwd lies in its image, in app and in versions', () => {
    const d: VnfDescriptor = {
      name: 'v',
      clusters: [
        {
          name: 'a',
          nodes: 1,
          app: { ...app, image, cwd: '/srv/examples/apps' },
          versions: [
            { ...app, version: 'v2', image, cwd: '/elsewhere' },
            { ...app, version: 'v3', cwd: '/srv/vnf/a', docker: { cwd: '/srv/examples/apps' } },
          ],
        },
      ],
    };
    expect(() => parseDescriptor(d, { appRoots: ROOTS })).not.toThrow();
    d.clusters[0].versions![1].cwd = '/etc';
    expect(() => parseDescriptor(d, { appRoots: ROOTS })).toThrow(/\/clusters\/0\/versions\/1\/cwd: cwd \/etc is outside every application root/);
  });
});
