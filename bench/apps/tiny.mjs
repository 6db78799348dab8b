// The smallest application the agent can run: answers /health, nothing else to do. Used by
// bench/deploy.mjs so that what it measures is the orchestration, not an application's start.
import http from 'node:http';

const ADDRESS = process.env.VNF_ADDRESS ?? '127.0.0.1';
const PORT = Number(process.env.VNF_PORT ?? 8080);
const NODE = process.env.VNF_NODE ?? 'tiny';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url === '/health' ? '{"status":"ok"}' : JSON.stringify({ node: NODE }));
});
server.listen(PORT, ADDRESS);

// a reconfiguration only rewrites the config file, which this app does not read
process.on('SIGHUP', () => {});
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => server.close(() => process.exit(0)).closeAllConnections());
