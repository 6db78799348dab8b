// Bundles the built vnf-agent into one file. An agent starts with every virtual host, and
// loading NestJS as hundreds of small ES modules costs more than half a second per start; one
// bundled file starts in well under half of that (docs/adr/0008-bundled-agent.md).
import { build } from 'esbuild';

await build({
  entryPoints: ['apps/vnf-agent/dist/main.js'],
  outfile: 'apps/vnf-agent/dist/agent.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // some dependencies still call require(); give the bundle one
  banner: { js: "import { createRequire as __vnfCreateRequire } from 'node:module'; const require = __vnfCreateRequire(import.meta.url);" },
  // transports and platforms Nest loads only when asked for: the agent never asks
  external: ['@nestjs/websockets', '@nestjs/platform-express', '@grpc/*', 'kafkajs', 'mqtt', 'amqplib', 'amqp-connection-manager', 'ioredis', '@fastify/*', 'class-transformer/storage'],
});
