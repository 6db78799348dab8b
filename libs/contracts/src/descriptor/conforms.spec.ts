import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { ClusterActivate } from '../vnfm/index.js';

const errors = (cls: new () => object, body: object) =>
  validateSync(Object.assign(new cls(), body), { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));

const app = { version: 'v1', command: 'node', args: ['backend.mjs'], port: 8080 };

describe('internal messages carry descriptor parts checked field by field', () => {
  test('a cluster activation checks the cluster spec as the descriptor would', () => {
    expect(errors(ClusterActivate, { vnf: 'web', spec: { name: 'backend', nodes: 2, app } })).toEqual([]);
    expect(errors(ClusterActivate, { vnf: 'web', spec: { name: 'backend', nodes: -1, app } }).join()).toMatch(/spec\/nodes must be >= 0/);
    expect(errors(ClusterActivate, { vnf: 'web', spec: { name: 'backend', nodes: 2 } }).join()).toMatch(/spec must have required property 'app'/);
  });
});
