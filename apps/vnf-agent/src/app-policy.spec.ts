import { toErrorBody } from '@vnf-lcm/bus';
import { refuseUnsafeApp } from './app-policy.js';

const app = { version: 'v1', command: 'node', args: ['backend.mjs'], port: 8080 };
const refusal = (spec: object, roots: string[]) => {
  try {
    refuseUnsafeApp({ ...app, ...spec }, roots);
  } catch (err) {
    return toErrorBody(err);
  }
  return undefined;
};

describe('the agent refuses an application it may not run', () => {
  test('as invalid_request naming each field', () => {
    expect(refusal({ cwd: '/etc', env: { LD_PRELOAD: '/tmp/x.so' } }, ['/srv/vnf'])).toEqual({
      code: 400,
      err_code: 'invalid_request',
      description: expect.stringMatching(/^\/app\/cwd: cwd \/etc is outside every application root .*; \/app\/env\/LD_PRELOAD: /),
      details: { issues: [expect.objectContaining({ field: '/app/cwd' }), expect.objectContaining({ field: '/app/env/LD_PRELOAD' })] },
    });
  });

  test('a relative cwd climbing out of its folder, and an absolute one without roots', () => {
    expect(refusal({ cwd: '../../../../etc' }, ['/srv/vnf'])?.description).toMatch(/may not contain '\.\.'/);
    expect(refusal({ cwd: '/srv/vnf/web' }, [])?.description).toMatch(/set VNF_APP_ROOTS/);
  });

  test('lets a spec through whose cwd is in a root or relative, with ordinary variables', () => {
    expect(refusal({ cwd: '/srv/vnf/web', env: { NODE_ENV: 'production' } }, ['/srv/vnf'])).toBeUndefined();
    expect(refusal({ cwd: 'apps' }, [])).toBeUndefined();
    expect(refusal({}, [])).toBeUndefined();
  });
});
