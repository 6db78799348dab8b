// A few Docker Engine API calls over its unix socket (node:http, no dependency), for bench/swarm.mjs:
// listing tasks and containers, killing a container, inspecting a service. The CLI is used for
// what it does best (service create / update / rm); polling goes through the API, without a
// process per poll.
import http from 'node:http';

export const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';

export function api(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath: SOCKET, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          if (res.statusCode >= 400) return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`));
          try {
            resolve(text ? JSON.parse(text) : undefined);
          } catch {
            resolve(text);
          }
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const q = (filters) => encodeURIComponent(JSON.stringify(filters));
export const tasksOf = (service) => api('GET', `/tasks?filters=${q({ service: [service] })}`);
export const containersWith = (label, all = true) => api('GET', `/containers/json?all=${all ? 1 : 0}&filters=${q({ label: [label] })}`);
export const killContainer = (id) => api('POST', `/containers/${id}/kill?signal=SIGKILL`);
export const removeContainer = (id) => api('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
export const inspectService = (name) => api('GET', `/services/${encodeURIComponent(name)}`);
export const swarmState = () => api('GET', '/info').then((i) => i.Swarm);
