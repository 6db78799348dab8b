import { nodeOfHeartbeat, nodeOfSubject, subject, Verb } from './index.js';

describe("an agent's node, read from a subject", () => {
  test('a request to an agent is for the node its last token names', () => {
    expect(nodeOfSubject(subject(Verb.clusterReconfigure, 'web-backend-2'))).toBe('web-backend-2');
    expect(nodeOfSubject(subject(Verb.clientReconfigure, 'web-frontend-1'))).toBe('web-frontend-1');
  });

  test('nothing for a subject that is not an agent request, or whose last token is no node id', () => {
    expect(nodeOfSubject('vnf.vim.host-activate.local')).toBeUndefined();
    expect(nodeOfSubject('vnf.agent.status.')).toBeUndefined();
    expect(nodeOfSubject('vnf.agent.status.Web_1')).toBeUndefined();
  });

  test('a heartbeat names its node the same way', () => {
    expect(nodeOfHeartbeat('vnf.agent.heartbeat.web-backend-1')).toBe('web-backend-1');
    expect(nodeOfHeartbeat('vnf.agent.hello.web-backend-1')).toBeUndefined();
  });
});
