import { hasArg } from './pids.js';

test("an agent's node is found among its arguments, or among the words of the title a spare takes (ADR 27)", () => {
  const cold = ['/usr/bin/node', '/opt/agent.cjs', '--node=web-1', ''];
  const warm = ['/usr/bin/node /opt/agent.cjs --node=web-1', '', '', ''];
  for (const cmd of [cold, warm]) {
    expect(hasArg(cmd, '--node=web-1')).toBe(true);
    // a prefix of another node's marker is not it
    expect(hasArg(cmd, '--node=web')).toBe(false);
    expect(hasArg(cmd, '--node=web-10')).toBe(false);
  }
  expect(hasArg(['/usr/bin/node', '/opt/agent.cjs', '--spare', ' '.repeat(64)], '--spare')).toBe(true);
  expect(hasArg(undefined, '--node=web-1')).toBe(false);
});
