import { ReplyError } from '@vnf-lcm/bus/wire';
import { check } from './checks.js';

const app = { version: 'v1', command: 'node', args: ['backend.mjs'], port: 8080 };
const member = { node: 'web-backend-1', address: '127.10.0.1', port: 8080, version: 'v1' };
const create = { vnf: 'web', cluster: 'backend', app, members: [member], endpoints: {} };

/** the error a refused request answers with */
function refusal(verb: Parameters<typeof check>[0], body: unknown): ReplyError {
  try {
    check(verb, body);
  } catch (err) {
    if (err instanceof ReplyError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('an agent checks each request against its schema, field by field', () => {
  test('a well-formed application create passes as it is', () => {
    const body = { ...create, health: { http: '/health' }, endpoints: { db: [member] } };
    expect(check('app-create', body)).toBe(body);
  });

  test.each([
    [{ app: { ...app, port: '8080' } }, /\/app\/port: must be integer/],
    [{ app: { ...app, shell: 'rm -rf /' } }, /\/app: must NOT have additional properties \(shell\)/],
    [{ members: [{ ...member, port: 0 }] }, /\/members\/0\/port: must be >= 1/],
    [{ endpoints: { db: [{ node: 'x' }] } }, /\/endpoints\/db\/0: must have required property 'address'/],
    [{ health: { http: 'health' } }, /\/health\/http: must match pattern/],
    [{ vnf: 'Web' }, /\/vnf: must match pattern/],
  ])('application create with %j is refused: %s', (change, message) => {
    const e = refusal('app-create', { ...create, ...change });
    expect(e.body.err_code).toBe('invalid_request');
    expect(e.body.description).toMatch(message);
    expect((e.body.details as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
  });

  test('a membership must be a list of endpoints', () => {
    expect(refusal('cluster-reconfigure', { members: {} }).body.description).toMatch(/\/members: must be array/);
  });

  test('requests without a body take none: an unknown field is refused, __proto__ included', () => {
    expect(check('app-start', {})).toEqual({});
    expect(refusal('app-stop', { force: true }).body.description).toMatch(/additional properties \(force\)/);
    expect(refusal('status', JSON.parse('{"__proto__": {"x": 1}}')).body.err_code).toBe('invalid_request');
  });
});
