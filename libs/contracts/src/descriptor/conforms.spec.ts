import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { AppCreate, ClusterReconfigure } from '../agent/index.js';
import { ClusterActivate } from '../vnfm/index.js';

const errors = (cls: new () => object, body: object) =>
  validateSync(Object.assign(new cls(), body), { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));

const app = { version: 'v1', command: 'node', args: ['backend.mjs'], port: 8080 };
const member = { node: 'web-backend-1', address: '127.10.0.1', port: 8080, version: 'v1' };

describe('internal messages carry descriptor parts checked field by field', () => {
  test('a well-formed application create passes', () => {
    expect(errors(AppCreate, { vnf: 'web', cluster: 'backend', app, health: { http: '/health' }, members: [member], endpoints: { db: [member] } })).toEqual([]);
  });

  test.each([
    [{ app: { ...app, port: '8080' } }, /app\/port must be integer/],
    [{ app: { ...app, shell: 'rm -rf /' } }, /app must NOT have additional properties/],
    [{ members: [{ ...member, port: 0 }] }, /members\/0\/port must be >= 1/],
    [{ endpoints: { db: [{ node: 'x' }] } }, /endpoints\/db\/0 must have required property 'address'/],
    [{ health: { http: 'health' } }, /health\/http must match pattern/],
  ])('application create with %j is refused: %s', (change, message) => {
    const body = { vnf: 'web', cluster: 'backend', app, members: [member], endpoints: {}, ...change };
    expect(errors(AppCreate, body).join('; ')).toMatch(message);
  });

  test('a membership must be a list of endpoints', () => {
    expect(errors(ClusterReconfigure, { members: {} }).join()).toMatch(/members must be array/);
  });

  test('a cluster activation checks the cluster spec as the descriptor would', () => {
    expect(errors(ClusterActivate, { vnf: 'web', spec: { name: 'backend', nodes: 2, app } })).toEqual([]);
    expect(errors(ClusterActivate, { vnf: 'web', spec: { name: 'backend', nodes: -1, app } }).join()).toMatch(/spec\/nodes must be >= 0/);
    expect(errors(ClusterActivate, { vnf: 'web', spec: { name: 'backend', nodes: 2 } }).join()).toMatch(/spec must have required property 'app'/);
  });
});
