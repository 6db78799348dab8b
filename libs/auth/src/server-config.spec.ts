import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from './identity.js';
import { WebsocketConfigError, writeServerConfig } from './server-config.js';

let dir: string;
let id: Identity;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vnf-conf-spec-'));
  id = await Identity.open(join(dir, 'identity'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const conf = async (websocket?: Parameters<typeof writeServerConfig>[1]['websocket']) => {
  const file = join(dir, 'nats.conf');
  await writeServerConfig(id, { file, storeDir: join(dir, 'js'), websocket });
  return readFileSync(file, 'utf8');
};

describe("the browsers' WebSocket listener in nats.conf", () => {
  test('none unless asked for', async () => {
    expect(await conf()).not.toContain('websocket');
  });

  test('on a loopback address, in plain text', async () => {
    expect(await conf({ host: '127.0.0.1', port: 8224 })).toContain('websocket { host: "127.0.0.1", port: 8224, no_tls: true }');
  });

  test('refused anywhere else: its traffic is plain text', async () => {
    await expect(conf({ host: '0.0.0.0', port: 8224 })).rejects.toThrow(WebsocketConfigError);
    await expect(conf({ host: '10.0.0.5', port: 8224 })).rejects.toThrow(/loopback/);
  });

  test("on a container's own address when Docker publishes it on the host's loopback", async () => {
    expect(await conf({ host: '0.0.0.0', port: 8224, publishedOnLoopback: true })).toContain('websocket { host: "0.0.0.0"');
  });
});

describe('a server of a cluster', () => {
  test('names itself and its routes; a server on its own has neither', async () => {
    expect(await conf()).not.toMatch(/server_name|cluster/);
    const file = join(dir, 'nats-a.conf');
    const cluster = { name: 'vnf', serverName: 'a', listen: '127.0.0.1:6222', routes: ['nats-route://127.0.0.1:6222', 'nats-route://127.0.0.1:6223'] };
    await writeServerConfig(id, { file, storeDir: join(dir, 'js-a'), cluster });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('server_name: "a"');
    expect(text).toContain('cluster { name: "vnf", listen: "127.0.0.1:6222", routes: ["nats-route://127.0.0.1:6222", "nats-route://127.0.0.1:6223"] }');
    // operator mode in every server: the accounts preloaded, anonymous clients refused
    expect(text).toContain('resolver: MEMORY');
  });
});
