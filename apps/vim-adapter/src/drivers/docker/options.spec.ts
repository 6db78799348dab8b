import { ConfigError } from '../../config.js';
import { checkDockerZone } from './options.js';

const zone = (o: Record<string, unknown> = {}) => ({ name: 'dock', driver: 'docker', range: '127.50.0.0/16', ...o });
const refused = (o: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  try {
    checkDockerZone(zone(o), env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

test('defaults: host network, the examples image, an unprivileged user, the usual socket', () => {
  expect(checkDockerZone(zone(), {})).toMatchObject({
    zone: 'dock',
    image: 'vnf-lcm/examples:latest',
    agentImage: 'vnf-lcm/agent-root:latest',
    network: 'host',
    uid: 65534,
    gid: 65534,
    scope: 'default',
    appRoots: '/srv',
    socket: '/var/run/docker.sock',
    nanoCpus: undefined,
    memory: undefined,
  });
});

test('limits: cpus as NanoCpus, memory in bytes or with a unit', () => {
  expect(checkDockerZone(zone({ cpus: 1.5, memory: '256m' }), {})).toMatchObject({ nanoCpus: 1_500_000_000, memory: 256 * 1024 ** 2 });
  expect(checkDockerZone(zone({ memory: 1073741824 }), {}).memory).toBe(1024 ** 3);
  expect(checkDockerZone(zone({ memory: '1g' }), {}).memory).toBe(1024 ** 3);
  expect(refused({ memory: '5m' })).toBe('zone dock: "memory" must be at least 6m (bytes, or a number with k, m or g), got "5m"');
  expect(refused({ memory: 'lots' })).toMatch(/"memory" must be at least 6m/);
  expect(refused({ cpus: 0 })).toBe('zone dock: "cpus" must be a number of CPUs above 0, got 0');
  expect(refused({ cpus: '2' })).toMatch(/"cpus"/);
});

test('the host network needs a loopback range; a named network takes any', () => {
  expect(refused({ range: '10.0.0.0/8' })).toBe('zone dock: range 10.0.0.0/8 must lie inside 127.0.0.0/8 with the host network');
  expect(refused({ range: 'x' })).toMatch(/^zone dock: "range" must be an IPv4 CIDR/);
  const named = checkDockerZone(zone({ range: '172.30.0.0/24', network: 'vnf-net', natsUrl: 'nats://nats:4222' }), {});
  expect(named).toMatchObject({ network: 'vnf-net', natsUrl: 'nats://nats:4222' });
  expect(refused({ network: 'bridge' })).toMatch(/network" bridge cannot give each host its own address/);
  expect(refused({ network: 'none' })).toMatch(/network" none/);
});

test('never root', () => {
  expect(refused({ user: '0:0' })).toMatch(/^zone dock: "user" must be unprivileged/);
  expect(refused({ user: '1000:0' })).toMatch(/"user" must be unprivileged/);
  expect(refused({ user: 'root' })).toMatch(/"user" must be uid:gid in numbers/);
  expect(checkDockerZone(zone({ user: '1000:1000' }), {})).toMatchObject({ uid: 1000, gid: 1000 });
});

test('unknown options, bad images, scopes, roots, urls and sockets are named', () => {
  expect(refused({ root: '/tmp' })).toBe('zone dock: unknown option(s) root for driver docker');
  expect(refused({ image: 'Not An Image' })).toMatch(/"image" must be an image reference/);
  expect(refused({ agentImage: '' })).toMatch(/"agentImage"/);
  expect(refused({ scope: 'Has Spaces' })).toMatch(/"scope"/);
  expect(refused({ appRoots: 'relative:/srv' })).toBe('zone dock: "appRoots": relative: not an absolute path');
  expect(refused({ natsUrl: 'http://x' })).toMatch(/"natsUrl"/);
  expect(refused({ socket: 'docker.sock' })).toMatch(/"socket"/);
});

test('DOCKER_HOST names the socket when it is a unix one', () => {
  expect(checkDockerZone(zone(), { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).socket).toBe('/run/user/1000/docker.sock');
  expect(checkDockerZone(zone(), { DOCKER_HOST: 'tcp://10.0.0.1:2375' }).socket).toBe('/var/run/docker.sock');
});
