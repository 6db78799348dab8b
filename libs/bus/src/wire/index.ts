// What answers requests on the bus without Nest: the agent's whole server, and the path the
// services' transport sends each request through.
export * from './answer.js';
export * from './reply-error.js';
export * from './connect.js';
