import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ClusterScaleIn } from './index.js';

const fields = (body: object) => validateSync(plainToInstance(ClusterScaleIn, body)).map((e) => e.property);

describe('scale-in cluster: each pick names what it compares with', () => {
  const base = { vnf: 'web', cluster: 'backend' };
  test.each([
    [{ pick: 'node' }, ['node']],
    [{ pick: 'old-version' }, ['version']],
    [{ pick: 'old-zone' }, ['zone']],
    [{ pick: 'newest' }, []],
    [{ pick: 'node', node: 'web-backend-2' }, []],
    [{ pick: 'old-version', version: 'v2' }, []],
    [{ pick: 'old-zone', zone: 'edge' }, []],
    [{ pick: 'newest', zone: 'Bad Zone' }, ['zone']],
  ])('%j → invalid fields %j', (pick, invalid) => {
    expect(fields({ ...base, ...pick })).toEqual(invalid);
  });
});
