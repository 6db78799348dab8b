import type { Descriptor } from '@vnf-lcm/contracts';
import { putBackAs } from './remove-node.js';

const app = (version: string): Descriptor.AppSpec => ({ version, command: 'node', port: 8080 });
const spec: Descriptor.ClusterSpec = { name: 'backend', nodes: 2, app: app('v2'), versions: [app('v1')] };

describe('putBackAs: what a node put back in place of a removed one runs, and where', () => {
  test("the removed node's own version and zone, not the cluster's", () => {
    expect(putBackAs({}, { version: 'v1', zone: 'edge' }, spec)).toEqual({ app: app('v1'), zone: 'edge' });
    expect(putBackAs({}, { version: 'v2', zone: 'local' }, spec)).toEqual({ app: app('v2'), zone: 'local' });
  });

  test("over what the removal names: an upgrade's `from` when the node ran an older version still", () => {
    expect(
      putBackAs({ app: app('v2'), zone: 'local' }, { version: 'v1', zone: 'edge' }, { ...spec, app: app('v3'), versions: [app('v2'), app('v1')] }),
    ).toEqual({
      app: app('v1'),
      zone: 'edge',
    });
  });

  test("what the removal names where the node's version is no longer known, saying so", () => {
    expect(putBackAs({ app: app('v1') }, { version: 'v9', zone: 'edge' }, spec)).toEqual({ app: app('v1'), zone: 'edge', unknownVersion: 'v9' });
    expect(putBackAs({}, { version: 'v9', zone: 'edge' }, spec)).toEqual({ app: undefined, zone: 'edge', unknownVersion: 'v9' });
  });

  test("the cluster's own (left undefined) when nothing tells: a removal recorded before nodes were kept with it", () => {
    expect(putBackAs({}, undefined, spec)).toEqual({ app: undefined, zone: undefined });
    expect(putBackAs({ zone: 'edge' }, undefined, spec)).toEqual({ app: undefined, zone: 'edge' });
  });
});
